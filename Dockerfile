FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .
COPY . .
ENV DJANGO_SETTINGS_MODULE=prm.settings.production
RUN DJANGO_SECRET_KEY=build-only-secret-key-that-is-long-enough-for-checks-xxxxxxxx \
    DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "prm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
