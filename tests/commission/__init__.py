"""Tests of the commission service."""
