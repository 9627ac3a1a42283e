# Hinting Lab: the same server as `make run`, listening on all interfaces.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HINTING_LAB_STATIC_DIR=/app/static \
    HINTING_LAB_DB=/data/lab.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY app ./app
COPY static ./static

# Install the project and its dependencies, precompile, and add an unprivileged user.
RUN pip install --no-cache-dir . \
    && python -m compileall -q core app \
    && useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin lab \
    && mkdir /data && chown 10001:10001 /data

# Sessions and stored links (SQLite); mount a volume here to keep them across containers.
VOLUME ["/data"]

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]

CMD ["python", "-m", "app", "--host", "0.0.0.0", "--port", "8000"]
