#!/usr/bin/env bash
# Uploads the built packages (modeled on Falco's scripts/publish-rpm).
set -euo pipefail
aws s3 cp build/release/falco-*.rpm "s3://falco-distribution/packages/rpm-dev/"
