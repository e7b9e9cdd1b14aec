"""The bot's settings in its tests. Any credentials work in the sandbox: this account is created on
its first request, and every webhook to the bot is signed with its token."""

AUTH_ID = "MASMSBOT000000000001"
AUTH_TOKEN = "sms-bot-token"
BOT_URL = "https://bot.test"
