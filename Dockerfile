# checkout-monitor: `serve` in a container, with Debian's headless Chromium.
#
#   docker build -t checkout-monitor .
#   docker run --rm -p 9118:9118 -v "$PWD/journeys:/journeys:ro" \
#       -e SHOP_URL=https://shop.example.com -e TEST_CARD checkout-monitor
#
# Journeys: mount journey files (YAML) or folders at /journeys; they are re-read when they change.
# Other commands: `docker run --rm -v "$PWD/journeys:/journeys:ro" checkout-monitor run /journeys`
# (or `validate /journeys`, `doctor`).
# Settings come from CHECKOUT_MONITOR_* variables (README). Keep the port in
# CHECKOUT_MONITOR_LISTEN rather than `--listen`: HEALTHCHECK reads the port from it.
#
# The base is the Debian release CI runs on (bookworm), so the Chromium installed here is the
# package that `scripts/setup` installs and `.ci/run` tests (tests/test_packaging.py checks it).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# chromium-headless-shell: the lean headless build, found on PATH and preferred by the monitor.
# Where a release lacks it, install `chromium` instead (also found on PATH).
# tini is PID 1: Chromium's renderers orphaned when a hung browser is killed and relaunched
# get reaped instead of piling up as zombies under Python.
# No version pins: Debian's Chromium security updates replace old versions in the archive.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium-headless-shell tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip install --no-cache-dir . \
    && checkout-monitor --version

RUN groupadd --system --gid 10001 checkout-monitor \
    && useradd --system --uid 10001 --gid 10001 --no-log-init \
        --home-dir /var/lib/checkout-monitor --create-home --shell /usr/sbin/nologin \
        checkout-monitor \
    && mkdir -p /journeys /var/lib/checkout-monitor/artifacts \
    && chown -R 10001:10001 /var/lib/checkout-monitor

# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /var/lib/checkout-monitor
# The build fails unless this user's Chromium opens a page (served on 127.0.0.1).
RUN checkout-monitor doctor

ENV CHECKOUT_MONITOR_LISTEN=0.0.0.0:9118 \
    CHECKOUT_MONITOR_ARTIFACTS=/var/lib/checkout-monitor/artifacts
EXPOSE 9118

# 200 while the browser is up. Python, as the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('CHECKOUT_MONITOR_LISTEN', ':9118').rpartition(':')[2]; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["tini", "--", "checkout-monitor"]
CMD ["serve", "/journeys"]
