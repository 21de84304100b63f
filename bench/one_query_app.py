"""The benchmark's yardstick: the smallest Flask-SQLAlchemy app that answers with one query.

`gunicorn -c gunicorn.conf.py bench.one_query_app:app` with DATABASE_URL set: GET /one reads one
row (the first service's id and name) and answers it as JSON. bench_http.py serves it beside
the real app, on the same database with the same gunicorn settings, so "slots / one-query" says
how close the slot route comes to the least a database-backed Flask route can cost.
"""
import os

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app)


@app.get("/one")
def one():
    row = db.session.execute(text("SELECT id, name FROM service ORDER BY id LIMIT 1")).one()
    return jsonify({"id": row.id, "name": row.name})
