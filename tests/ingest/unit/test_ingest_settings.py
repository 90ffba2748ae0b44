"""Ingest settings read from the environment: blank values that mean "not set"."""

from __future__ import annotations

import pytest

from livestudio_ingest.settings import IngestSettings, client_settings


@pytest.mark.parametrize("raw", ["", "  "])
def test_an_empty_shopee_base_url_is_unset(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("INGEST_SHOPEE_BASE_URL", raw)
    settings = IngestSettings()
    assert settings.shopee_base_url is None
    assert client_settings(settings).base_url is None


def test_a_shopee_base_url_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_SHOPEE_BASE_URL", "http://127.0.0.1:8900")
    assert IngestSettings().shopee_base_url == "http://127.0.0.1:8900"
