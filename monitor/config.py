"""The `serve` config file (`--config monitor.yaml`): built-in alert notifications.

    alerts:
      after_failures: 2            # consecutive failed runs (after retries) before it fires
      recover_after: 1             # passing runs before it resolves
      repeat_every: 1h             # reminders while it stays broken, at most this often
      status_page_url: https://monitor.example.com   # links in messages; default: serve's URL
      targets:
        - {name: ops, type: webhook, url: "https://hooks.example.com/checkout"}
        - {name: chat, type: slack, url: "${SLACK_WEBHOOK_URL}"}
        - {name: am, type: alertmanager, url: "http://127.0.0.1:9093"}

Read with the journey loader's machinery: `${ENV}` interpolation and file:line errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from monitor.journey import Duration, Model
from monitor.loader import load_model


class Target(Model):
    """Where notifications go."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,60}$", description="the `target` label")
    type: Literal["webhook", "slack", "alertmanager"] = Field(
        description="webhook: our JSON; slack: Slack-compatible {text}; alertmanager: its API"
    )
    url: str
    headers: dict[str, str] = Field(default_factory=dict, description="e.g. Authorization")
    timeout: Duration = 10.0

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not re.match(r"^https?://[^/\s]+", url):
            raise PydanticCustomError("url", "'{url}' is not an http(s) URL", {"url": url})
        return url.rstrip("/")


class Alerts(Model):
    after_failures: int = Field(2, ge=1, le=100)
    recover_after: int = Field(1, ge=1, le=100)
    repeat_every: Duration = Field(3600.0, description="reminders while still broken")
    retries: int = Field(3, ge=0, le=10, description="delivery attempts after the first")
    status_page_url: str | None = None
    targets: list[Target] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Alerts:
        names = [t.name for t in self.targets]
        if len(names) != len(set(names)):
            raise PydanticCustomError("targets", "target names must be unique")
        return self


class MonitorConfig(Model):
    alerts: Alerts = Alerts()


def load_config(path: Path, env: Mapping[str, str]) -> MonitorConfig:
    """The config file, or JourneyError listing every problem with file:line."""
    return load_model(path, MonitorConfig, env)
