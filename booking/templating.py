"""Jinja helpers: clinic details everywhere, and instants shown in the clinic's time zone."""
from flask_babel import format_date, format_datetime, format_time, get_locale


def register_template_helpers(app):
    # <html lang="..."> and language-aware templates; Flask-Babel 4 does not add it itself.
    app.add_template_global(get_locale, "get_locale")

    @app.context_processor
    def clinic_details():
        config = app.config
        return {
            "clinic": {
                "name": config["CLINIC_NAME"],
                "short_name": config["CLINIC_SHORT_NAME"],
                "city": config["CLINIC_CITY"],
                "address": config["CLINIC_ADDRESS"],
                "phone": config["CLINIC_PHONE"],
                "phone_link": "tel:" + config["CLINIC_PHONE"].replace(" ", ""),
                "opens": config["CLINIC_OPENS"],
                "closes": config["CLINIC_CLOSES"],
            }
        }

    # Instants are stored in UTC; Flask-Babel shows them in BABEL_DEFAULT_TIMEZONE (the
    # clinic's zone), 24-hour clock. Plain dates are shown as they are.
    @app.template_filter("local_time")
    def local_time(instant):
        return format_time(instant, "HH:mm")

    @app.template_filter("local_date")
    def local_date(value, style="EEEE, d MMMM y"):
        return format_date(value, style)

    @app.template_filter("local_datetime")
    def local_datetime(instant):
        return format_datetime(instant, "EEEE, d MMMM y, HH:mm")
