# demarc: the Slack bot, served by waitress, configured by environment variables.
# Build: docker build -t demarc .    Run: see docs/deploy.md
#
# The base image is pinned by tag and by the digest of its multi-architecture index: a rebuild
# gets the same Python and Debian. Bump both together.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

# -- build: a virtualenv with demarc and its dependencies, and nothing to build with ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# No pip or setuptools inside the virtualenv: this stage's pip installs into it from outside.
RUN python -m venv --without-pip /opt/demarc
WORKDIR /src
# 1. The dependencies, read from pyproject.toml alone: this layer is reused until they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > requirements.txt \
 && pip --python /opt/demarc/bin/python install -r requirements.txt
# 2. The code, installed without touching the dependencies.
COPY README.md ./
COPY ownership ./ownership
COPY bot ./bot
COPY migrations ./migrations
RUN pip --python /opt/demarc/bin/python install --no-deps .

# -- runtime: the same base, the virtualenv, no package tools ---------------------------------
FROM ${PYTHON_IMAGE}
RUN python -m pip uninstall --yes --disable-pip-version-check pip setuptools wheel \
 && useradd --system --uid 10001 --home-dir /home/demarc --create-home demarc
COPY --from=build /opt/demarc /opt/demarc
ENV PATH=/opt/demarc/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=3000 \
    DEMARC_REGISTRY=/registry \
    DEMARC_LOG_FORMAT=json
USER demarc
WORKDIR /home/demarc
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
CMD ["demarc", "serve"]
