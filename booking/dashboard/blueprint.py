"""The staff pages' blueprint and the role groups its views require (the modules import these
from here, not from the package, so the package imports its modules without a cycle)."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/staff")

RECEPTION = ("receptionist", "admin")
CLINICAL = ("clinician",)
ADMIN = ("admin",)
