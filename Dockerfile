# pepy's production image: the API (default command) and the scheduled import run from it.
# Build: docker build -t pepy .   Run: see docker-compose.yml.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The build stage installs the pinned requirements and pepy into a venv; only the venv is carried over.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/pepy
COPY requirements.txt /src/requirements.txt
# Every pinned requirement ships a wheel, so no compiler is needed even here; --only-binary keeps it that way.
RUN /opt/pepy/bin/pip install --only-binary=:all: -r /src/requirements.txt
COPY pyproject.toml README.md /src/
COPY pepy /src/pepy
RUN /opt/pepy/bin/pip install --no-deps /src

FROM ${PYTHON_IMAGE} AS runtime
# PNG charts are drawn with text, and resvg finds its fonts on the system: the slim image has none.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid, so volumes and secrets can be owned by it on the host.
RUN groupadd --system --gid 10001 pepy \
    && useradd --system --uid 10001 --gid pepy --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin pepy
COPY --from=build /opt/pepy /opt/pepy
ENV PATH=/opt/pepy/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PEPY_ENV=production
USER pepy:pepy
EXPOSE 8080
CMD ["pepy", "serve", "--host", "0.0.0.0", "--port", "8080"]
