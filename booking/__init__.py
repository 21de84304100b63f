"""Expio booking: online appointments and patient intake for the Expio clinic in Kyiv."""
import os

from flask import Flask, has_request_context, request

from config import CONFIGS, INSTANCE_DIR, DevelopmentConfig

from .database import install_lock_wait
from .extensions import babel, csrf, db, limiter, login_manager, migrate

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def select_locale():
    """?lang= first, then the remembered choice, then the browser's preference (Russian counts
    as Ukrainian: templating.preferred_language), else the default (Ukrainian)."""
    from flask import current_app

    from .templating import preferred_language

    if not has_request_context():  # CLI commands, background work
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in supported:
        return chosen
    return preferred_language(request.accept_languages, supported,
                              current_app.config["BABEL_DEFAULT_LOCALE"])


def create_app(config_class=None):
    if config_class is None:
        config_class = CONFIGS.get(os.environ.get("APP_CONFIG", "development"), DevelopmentConfig)
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=os.path.join(PROJECT_DIR, "templates"),
        static_folder=os.path.join(PROJECT_DIR, "static"),
    )
    app.config.from_object(config_class)
    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind a reverse proxy: trust its X-Forwarded-For/-Proto (that many hops), so rate
        # limits and the audit log see the patient's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_DIR, "migrations"),
                     render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    with app.app_context():
        install_lock_wait(db.engine, app.config["DATABASE_LOCK_WAIT_MS"])

    from . import models  # noqa: F401  (registers the tables)
    from .errors import register_error_handlers
    from .auth.access import enforce_session_limits
    from .auth.services import load_user
    from .auth.views import bp as auth_bp
    from .dashboard import bp as dashboard_bp
    from .scheduler.api import bp as api_bp
    from .scheduler import api_courses, api_manage, api_waitlist  # noqa: F401  (routes on api_bp)
    from .scheduler.views import bp as scheduler_bp
    from .scheduler import course_views  # noqa: F401  (its routes go on scheduler_bp)
    from . import security
    from .cli import register_cli
    from .privacy_cli import register_privacy_cli
    from .templating import register_template_helpers

    app.register_blueprint(scheduler_bp)
    from .intake.views import bp as intake_bp
    app.register_blueprint(intake_bp)
    from .courses.follow_up_views import bp as follow_up_bp
    app.register_blueprint(follow_up_bp)
    from .diary.views import bp as diary_bp
    app.register_blueprint(diary_bp)
    from .notifications.views import bp as notifications_bp
    app.register_blueprint(notifications_bp)
    from .notifications.feed_views import bp as feeds_bp
    app.register_blueprint(feeds_bp)
    from .notifications.message_views import bp as messages_bp, telegram_webhook
    app.register_blueprint(messages_bp)
    csrf.exempt(telegram_webhook)  # Telegram calls it, with its secret header instead
    from .waitlist.views import bp as waitlist_bp
    app.register_blueprint(waitlist_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # other programs call the API; no browser session, no CSRF token
    app.register_blueprint(auth_bp)
    from .health import bp as health_bp
    app.register_blueprint(health_bp)
    app.register_blueprint(dashboard_bp)
    login_manager.user_loader(load_user)
    app.before_request(enforce_session_limits)
    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    register_privacy_cli(app)
    from .backup import register_backup_cli
    register_backup_cli(app)
    from .subscribers import register_subscribers
    register_subscribers()
    security.install(app, limiter)
    return app
