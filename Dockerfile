# Bidwright server image: installs from the runtime lock, runs migrations, then serves.
# Run with a real secret: docker run -e BIDWRIGHT_SECRET_KEY=... -e DATABASE_URL=... -p 8000:8000
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BIDWRIGHT_ENVIRONMENT=production \
    BIDWRIGHT_HOST=0.0.0.0 \
    BIDWRIGHT_PORT=8000

# CJK fonts: charts and documents render Chinese text.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 bidwright
WORKDIR /srv/bidwright

COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY pyproject.toml README.md ./
COPY app ./app
COPY estimation ./estimation
COPY migrations ./migrations
COPY data ./data
COPY proposal_templates ./proposal_templates
RUN pip install --no-cache-dir --no-deps -e . \
    && mkdir -p var \
    && chown bidwright:bidwright var

USER bidwright
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["sh", "-c", "bidwright db upgrade && exec bidwright serve"]
