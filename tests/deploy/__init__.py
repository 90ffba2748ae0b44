"""Tests of the deployment artefacts: images, compose, Kubernetes manifests, alerts, dashboards and docs."""
