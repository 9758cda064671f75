"""Portal: the self-service web portal of the fund and its prepaid-card program."""
from portal import db_pool, logs, telemetry
from portal.config import BASE_DIR, load_config
from portal.extensions import (
    compress,
    csrf,
    db,
    drop_idle_rate_limit_check,
    htmx,
    limiter,
    login_manager,
    migrate,
)
from portal.urls import Portal


def create_app(test_config=None):
    app = Portal(__name__)
    load_config(app, test_config)
    logs.configure(app)
    telemetry.init_app(app)  # first hooks: the request's clock starts before any other

    db.init_app(app)
    with app.app_context():
        db_pool.watch(db.engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
        db_pool.begin_on_first_write(db.engine)
        db_pool.sqlite_pragmas(db.engine)
    compress.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from portal import (
        models,  # noqa: F401  (register the tables)
        static_files,
        web,
    )
    from portal.services import sessions

    login_manager.user_loader(sessions.load_principal)
    login_manager.unauthorized_handler(web.unauthorized)
    web.init_app(app)
    static_files.init_app(app)
    _register_blueprints(app)
    drop_idle_rate_limit_check(app)

    from portal import cli
    cli.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app):
    """Behind TRUSTED_PROXIES proxies, the client's address, scheme, host, port and mount
    point are what the nearest of them forwarded (X-Forwarded-For, -Proto, -Host, -Port,
    -Prefix), so the login rate limit, the audit and an API key's last use see the client,
    and links and secure cookies the https the client used. With none, those headers came
    from the client itself and are ignored."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count,
                                x_prefix=count)


def _register_blueprints(app):
    from portal.blueprints.api import bp as api_bp
    from portal.blueprints.auth import bp as auth_bp
    from portal.blueprints.cartera import bp as cartera_bp
    from portal.blueprints.conexion import bp as conexion_bp
    from portal.blueprints.gateway import bp as gateway_bp
    from portal.blueprints.hanna import bp as hanna_bp
    from portal.blueprints.main import bp as main_bp
    from portal.blueprints.pagos import bp as pagos_bp
    from portal.blueprints.staff import bp as staff_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(hanna_bp, url_prefix="/hanna")
    app.register_blueprint(cartera_bp, url_prefix="/hanna/empresas/cartera")
    app.register_blueprint(pagos_bp, url_prefix="/pagos-express")
    app.register_blueprint(conexion_bp, url_prefix="/empresas")
    app.register_blueprint(staff_bp, url_prefix="/personal")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # a key in a header, never a cookie: nothing for a forged form to ride on
    app.register_blueprint(gateway_bp, url_prefix="/pasarela")
