# HMS application image: gunicorn serving config.wsgi with production settings.
#   docker build -t hms .
#   docker run --env-file /etc/hms/env -e HMS_BIND=0.0.0.0:8000 -p 127.0.0.1:8000:8000 -v hms-data:/data hms
# Migrations are a separate step of each release (docs/operations/upgrade.md):
#   docker run --rm --env-file /etc/hms/env -v hms-data:/data hms python manage.py migrate
#   docker run --rm --env-file /etc/hms/env -v hms-data:/data hms python manage.py migrate_hospitals --jobs 4
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump and pg_restore for backup_hospitals on PostgreSQL (use the servers' major version,
# or point HMS_PG_BIN_DIR at matching ones).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system hms \
    && useradd --system --gid hms --home-dir /app --no-create-home --shell /usr/sbin/nologin hms

WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt
COPY . .

ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_STATIC_ROOT=/app/static \
    HMS_DATA_DIR=/data \
    HMS_BIND=0.0.0.0:8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/hms-prometheus

# Static files (the admin's too) collected and compressed into the image; WhiteNoise serves
# them. The values below exist only for this step: the real ones come at run time.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost HMS_AUDIT_KEY=collectstatic-only \
    python manage.py collectstatic --noinput \
    && mkdir -p /data \
    && chown hms:hms /data

USER hms
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
