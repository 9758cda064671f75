"""flask CLI commands: demo data."""


def init_app(app):
    from portal import demo
    app.cli.add_command(demo.demo_cli)
