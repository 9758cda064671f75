"""Small builders for test data (the real services hash passwords, etc.)."""
from portal.domain.clock import utcnow
from portal.extensions import db
from portal.models import Affiliate, Company, Entity, Membership, Product, User
from portal.services import passwords

PASSWORD = "Clave#24ab"


def user(kind="corporate", username=None, password=PASSWORD, email=None, roles="",
         terms=True, must_change=False, entity=None, full_name="Usuario de Prueba"):
    username = username or {"hanna": "empleador@example.com", "staff": "analista"}.get(kind, "jhomez")
    u = User(kind=kind, username=username.lower() if kind == "hanna" else username,
             email=email or (username if "@" in username else f"{username}@example.com"),
             full_name=full_name, password_hash="", roles=roles,
             terms_accepted_at=utcnow() if terms else None, entity=entity)
    db.session.add(u)
    db.session.flush()
    passwords.set_password(u, password, must_change=must_change)
    db.session.commit()
    return u


def company(nit="900291499", name="JAHC TECHNOLOGIES"):
    c = Company(nit=nit, name=name, legal_name=name, signature_scheme=1)
    db.session.add(c)
    db.session.flush()
    db.session.add(Product(company_id=c.id, name="Clásica", brand="Visa", bin="450714"))
    db.session.commit()
    return c


def member(u, c, **perms):
    db.session.add(Membership(user_id=u.id, company_id=c.id, **perms))
    db.session.commit()


def entity(nit="800100200", name="EMPRESA DEMO S.A.S."):
    e = Entity(nit=nit, name=name)
    db.session.add(e)
    db.session.commit()
    return e


def affiliate(cedula="1045678434", mobile="3001234434", first="MARIA", last="PEREZ"):
    a = Affiliate(cedula=cedula, first_name=first, last_name=last, mobile=mobile,
                  email=f"{cedula}@example.com")
    db.session.add(a)
    db.session.commit()
    return a
