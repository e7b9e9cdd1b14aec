"""The IVR's settings in its tests. Any credentials work in the sandbox: this account is created on
its first request, and every webhook to the IVR is signed with its token."""

AUTH_ID = "MAACMESUPPORT0000001"
AUTH_TOKEN = "acme-support-token"
IVR_URL = "https://ivr.test"
AGENT = "14155550100"
