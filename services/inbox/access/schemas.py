"""HTTP models of access: sign-in, password change, API tokens."""

from typing import Annotated

from pydantic import Field, StringConstraints

from shared.auth import Scope

from ..conversations.schemas import Strict
from ..directory.schemas import LocationIdField, Name, Password


class Login(Strict):
    # Not EmailStr: an address the directory accepted (e.g. admin@chain.local) must be able to sign in.
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PasswordChange(Strict):
    current_password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    new_password: Password


class ApiTokenIn(Strict):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=10)
    # Empty: every hotel (e.g. headquarters imports); otherwise the hotels the integration may write for.
    location_ids: list[LocationIdField] = Field(default=[], max_length=5000)
    expires_in_days: int = Field(default=365, ge=1, le=366)
