"""Accounts as authentication and signing see them: the main account's credentials, and a cached
directory of every account.

**The main account's credentials** (:func:`resolve_main_credentials`) come from the arguments of
``create_app``, else from ``PLIVO_SANDBOX_AUTH_ID`` / ``PLIVO_SANDBOX_AUTH_TOKEN``, else from the
database (credentials the sandbox generated on an earlier start), else they are generated and
stored. The sandbox never reads ``PLIVO_AUTH_TOKEN``: that variable holds people's real Plivo
token. A token that came from the environment is kept in memory only (never written to the
database) and :attr:`MainCredentials.printable` is false for it, so no banner echoes it.

**The directory** (:class:`AccountDirectory`) answers ``auth_id -> Account`` from a cache, so that
authenticating a request costs no database round trip. Any committed transaction that wrote an
``account`` document clears the cache (the store tells it); a read that raced with such a write is
not cached (a generation counter tells).

**Adopting unknown accounts** (``AccountDirectory(..., adopt_unknown=True)``, ``create_app(...,
adopt_unknown_accounts=True)``; what ``mock_plivo`` runs, as moto accepts any AWS key): an unknown
auth id in Plivo's main-account shape (``MA`` + 18 letters or digits), presented with a non-empty
token, becomes a main account of its own on first use, with that token. From then on it is an
ordinary main account: the same id with another token is refused, it sees only its own resources
and its subaccounts', and its callbacks are signed with its token. Unknown ``SA…`` ids are never
adopted: a subaccount exists only under the main account that created it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from plivo_blocks.errors import ConfigurationError
from plivo_blocks.sandbox import ids
from plivo_blocks.sandbox.models.accounts import AccountDocument, subaccounts_of
from plivo_blocks.sandbox.models.base import fetch, insert
from plivo_blocks.sandbox.models.common import ACCOUNT
from plivo_blocks.sandbox.store import ANY_OWNER, Store, Tx

SANDBOX_AUTH_ID_ENV = "PLIVO_SANDBOX_AUTH_ID"
SANDBOX_AUTH_TOKEN_ENV = "PLIVO_SANDBOX_AUTH_TOKEN"
MAIN_AUTH_ID_KEY = "main_auth_id"
MAIN_AUTH_TOKEN_KEY = "main_auth_token"

CredentialSource = Literal["argument", "environment", "stored", "generated"]


@dataclass(frozen=True)
class Account:
    """An account as authentication sees it. ``auth_token`` never shows in reprs."""

    auth_id: str
    auth_token: str = field(repr=False)
    parent_id: str | None
    name: str
    enabled: bool

    @property
    def is_main(self) -> bool:
        return self.parent_id is None

    @property
    def main_id(self) -> str:
        return self.parent_id or self.auth_id


@dataclass(frozen=True)
class MainCredentials:
    auth_id: str
    auth_token: str = field(repr=False)
    source: CredentialSource

    @property
    def printable(self) -> bool:
        """Only credentials the sandbox made up may be shown; given ones stay secret."""
        return self.source in ("stored", "generated")


def _check_main_auth_id(auth_id: str, where: str) -> None:
    if ids.is_subaccount_auth_id(auth_id):
        raise ConfigurationError(
            f"{where} is a subaccount auth id (SA…); the sandbox's main account needs an MA… id"
        )
    if not ids.is_main_auth_id(auth_id):
        raise ConfigurationError(f"{where} must be 'MA' followed by 18 uppercase letters or digits")


def _given_credentials(
    auth_id: str | None, auth_token: str | None, env: Mapping[str, str]
) -> tuple[str, str, CredentialSource] | None:
    if auth_id or auth_token:
        if not (auth_id and auth_token):
            raise ConfigurationError("give both the main auth_id and auth_token, or neither")
        _check_main_auth_id(auth_id, "the main auth_id")
        return auth_id, auth_token, "argument"
    env_id = env.get(SANDBOX_AUTH_ID_ENV, "").strip()
    env_token = env.get(SANDBOX_AUTH_TOKEN_ENV, "").strip()
    if not (env_id or env_token):
        return None
    if not (env_id and env_token):
        raise ConfigurationError(f"set both {SANDBOX_AUTH_ID_ENV} and {SANDBOX_AUTH_TOKEN_ENV}, or neither")
    _check_main_auth_id(env_id, SANDBOX_AUTH_ID_ENV)
    return env_id, env_token, "environment"


def resolve_main_credentials(
    store: Store,
    auth_id: str | None = None,
    auth_token: str | None = None,
    env: Mapping[str, str] | None = None,
) -> MainCredentials:
    """Settle the main account (see the module docstring); creates its document when missing.
    Raises :class:`ConfigurationError` naming the argument or variable that is wrong."""
    given = _given_credentials(auth_id, auth_token, os.environ if env is None else env)

    def bootstrap(tx: Tx) -> MainCredentials:
        if given is None:
            stored_id, stored_token = tx.get_meta(MAIN_AUTH_ID_KEY), tx.get_meta(MAIN_AUTH_TOKEN_KEY)
            if stored_id and stored_token and tx.get(ACCOUNT, stored_id, ANY_OWNER) is not None:
                return MainCredentials(stored_id, stored_token, "stored")
            chosen = MainCredentials(ids.new_auth_id("MA"), ids.new_auth_token(), "generated")
            tx.set_meta(MAIN_AUTH_TOKEN_KEY, chosen.auth_token)
        else:
            chosen = MainCredentials(*given)
            tx.delete_meta(MAIN_AUTH_TOKEN_KEY)  # a given token is never written down
        if tx.get(ACCOUNT, chosen.auth_id, ANY_OWNER) is None:
            insert(tx, AccountDocument.new_main(chosen.auth_id, tx.now()))
        tx.set_meta(MAIN_AUTH_ID_KEY, chosen.auth_id)
        return chosen

    return store.run_sync(bootstrap)


def _adoptable(auth_id: str) -> bool:
    return len(auth_id) == 20 and auth_id.startswith("MA") and auth_id[2:].isalnum() and auth_id.isascii()


class AccountDirectory:
    """``auth_id -> Account`` for authentication and webhook signing, cached (module docstring)."""

    def __init__(self, store: Store, main: MainCredentials, *, adopt_unknown: bool = False) -> None:
        self._store = store
        self.main = main
        self.adopt_unknown = adopt_unknown
        self._cache: dict[str, Account | None] = {}
        self._owners: dict[str, list[str]] = {}
        self._generation = 0
        store.watch(ACCOUNT, self._invalidate)

    def __repr__(self) -> str:
        return f"AccountDirectory(main={self.main.auth_id!r}, cached={len(self._cache)})"

    def _invalidate(self) -> None:
        self._generation += 1
        self._cache.clear()
        self._owners.clear()

    def _account(self, stored: AccountDocument) -> Account:
        token = self.main.auth_token if stored.id == self.main.auth_id else stored.auth_token or ""
        return Account(
            auth_id=stored.id,
            auth_token=token,
            parent_id=stored.parent,
            name=stored.name,
            enabled=stored.enabled,
        )

    async def get(self, auth_id: str) -> Account | None:
        if auth_id in self._cache:
            return self._cache[auth_id]
        generation = self._generation
        stored = await fetch(self._store, AccountDocument, auth_id, ANY_OWNER)
        account = self._account(stored) if stored is not None else None
        if generation == self._generation:  # no account changed meanwhile: safe to keep
            self._cache[auth_id] = account
        return account

    async def adopt(self, auth_id: str, auth_token: str) -> Account | None:
        """The account for credentials nobody registered, when this directory adopts unknown
        accounts (module docstring); ``None`` when it does not, or the id is not a main-account id
        (``MA`` + 18 letters or digits), or the token is empty."""
        if not (self.adopt_unknown and auth_token and _adoptable(auth_id)):
            return None

        def get_or_create(tx: Tx) -> None:
            if tx.get(ACCOUNT, auth_id, ANY_OWNER) is None:
                insert(tx, AccountDocument.new_main(auth_id, tx.now(), auth_token=auth_token))

        await self._store.transaction(get_or_create)
        return await self.get(auth_id)

    async def visible_owners(self, account: Account) -> list[str]:
        """Owners whose resources ``account`` sees: a subaccount itself; the main account itself
        and all its subaccounts."""
        if not account.is_main:
            return [account.auth_id]
        cached = self._owners.get(account.auth_id)
        if cached is not None:
            return cached
        generation = self._generation
        subs = await self._store.list(ACCOUNT, [account.auth_id], subaccounts_of(account.auth_id))
        owners = [account.auth_id, *(d.id for d in subs)]
        if generation == self._generation:
            self._owners[account.auth_id] = owners
        return owners

    async def signing_tokens(self, auth_id: str) -> tuple[str, str]:
        """``(auth_token, main_auth_token)`` to sign a webhook of ``auth_id``'s resources (Plivo
        signs with the account's token, and the ``-Ma-`` headers with its main account's)."""
        account = await self.get(auth_id)
        if account is None or account.is_main:
            token = account.auth_token if account else self.main.auth_token
            return token, token
        parent = await self.get(account.main_id)
        return account.auth_token, parent.auth_token if parent else self.main.auth_token
