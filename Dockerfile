# demarc: the Slack bot, served by waitress, configured by environment variables.
# Build: docker build -t demarc .    Run: see docs/deploy.md
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ownership ./ownership
COPY bot ./bot
COPY migrations ./migrations
RUN python -m venv /opt/demarc \
 && /opt/demarc/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/demarc/bin/pip install --no-cache-dir ".[postgres]"

FROM python:3.11-slim
ENV PATH=/opt/demarc/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    DEMARC_REGISTRY=/registry \
    DEMARC_LOG_FORMAT=json
COPY --from=build /opt/demarc /opt/demarc
RUN useradd --system --uid 10001 --home-dir /home/demarc --create-home demarc
USER demarc
WORKDIR /home/demarc
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
CMD ["demarc", "serve"]
