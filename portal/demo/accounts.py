"""The demo logins — one of every kind — and the users, requests and memberships behind them.

`LOGINS` is the single source for both `flask demo load` and `flask demo logins`."""
from dataclasses import dataclass

from portal.demo import pagos, suppliers
from portal.demo.common import get_or_add
from portal.demo.conexion import COOP, JAHC
from portal.demo.entities import EMPLOYERS, MULTI_BRANCH_EMPLOYER, SUPPLIER
from portal.domain.clock import utcnow
from portal.domain.four_eyes import MEMBERSHIP_PERMISSIONS
from portal.extensions import db
from portal.models import ApplicationRequest, ChangeRequest, Membership, User
from portal.services import four_eyes, passwords

DEMO_PASSWORD = "Cajacopi#24"

LOGIN_PATHS = {"hanna": "/hanna/ingresar", "affiliate": "/pagos-express/ingresar",
               "corporate": "/empresas/ingresar", "staff": "/personal/ingresar"}
KIND_LABELS = {"hanna": "Hanna", "affiliate": "Afiliado", "corporate": "Conexión Empresas",
               "staff": "Personal"}

ALL_PERMISSIONS = ("upload", "authorize", "consult", "master_account")
PERMISSIONS = ALL_PERMISSIONS + ("admin_company",)  # Configuración › Empresas: edit the company


@dataclass(frozen=True)
class DemoLogin:
    kind: str  # hanna | affiliate | corporate | staff
    username: str  # e-mail (Hanna), username (corporate, staff) or cédula (affiliate)
    full_name: str
    note: str
    password: str | None = DEMO_PASSWORD  # affiliates get an SMS code instead
    email: str | None = None
    roles: str = ""
    entity_nit: str | None = None
    applications: tuple = ()  # ((application, status), ...)
    companies: tuple = ()  # ((company nit, permissions), ...)
    first_login: bool = False  # terms not accepted yet + forced password change
    profile: tuple = ()  # a corporate user's (nombre, apellido, cargo, área): Configuración › Usuario

    @property
    def path(self):
        return LOGIN_PATHS[self.kind]


USERS = (
    DemoLogin("hanna", "empleador.demo@example.com", "Marta Lucía Barrios Ospino",
              f"empleador {MULTI_BRANCH_EMPLOYER.name}, EMPRESAS aprobada, "
              f"{len(MULTI_BRANCH_EMPLOYER.branches)} sucursales",
              entity_nit=MULTI_BRANCH_EMPLOYER.nit, applications=(("EMPRESAS", "approved"),)),
    DemoLogin("hanna", "proveedor.demo@example.com", "Carlos Andrés Rada Villa",
              f"proveedor {SUPPLIER.name}, PROVEEDORES aprobada; "
              f"verificar la orden {suppliers.FIRST_NUMBER}, cédula {suppliers.HOLDERS[0][0]}",
              entity_nit=SUPPLIER.nit, applications=(("PROVEEDORES", "approved"),)),
    DemoLogin("hanna", "pendiente.demo@example.com", "Yesenia Padilla Charris",
              f"{EMPLOYERS[1].name}, solicitud EMPRESAS pendiente (cola del personal)",
              entity_nit=EMPLOYERS[1].nit, applications=(("EMPRESAS", "pending"),)),
    DemoLogin("corporate", "jhomez", "Joffer Homez",
              f"{JAHC.name} (1 firma) y {COOP.name} (2 firmas), todos los permisos; administra los "
              f"datos y contactos de {JAHC.name} (Configuración › Empresas)",
              email="jhomez.demo@example.com",
              companies=((JAHC.nit, PERMISSIONS), (COOP.nit, ALL_PERMISSIONS)),
              profile=("Joffer", "Homez", "Director administrativo", "Administración")),
    DemoLogin("corporate", "nortega", "Natalia Ortega",
              f"segunda firma de {COOP.name}", email="nortega.demo@example.com",
              companies=((COOP.nit, ALL_PERMISSIONS),),
              profile=("Natalia", "Ortega", "Tesorera", "Financiera")),
    DemoLogin("corporate", "nuevo", "Nelson Uribe Vargas",
              f"primer ingreso: términos y cambio de contraseña; {JAHC.name} (cargar, consultar)",
              email="nuevo.demo@example.com", first_login=True,
              companies=((JAHC.nit, ("upload", "consult")),),
              profile=("Nelson", "Uribe Vargas", "Analista de nómina", "Gestión humana")),
    DemoLogin("staff", "admin", "Rafael Acosta Llanos", "rol admin (todas las colas)", roles="admin"),
    DemoLogin("staff", "cartera", "Kathien Castro", "rol cartera", roles="cartera"),
    DemoLogin("staff", "pagos", "Milena Torres Polo", "rol pagos (pagos, datos de afiliados)", roles="pagos"),
    DemoLogin("staff", "tarjetas", "Hernán Ariza Mercado",
              "rol tarjetas; propuso un cambio de permisos de «nuevo» (Cambios por aprobar)", roles="tarjetas"),
    DemoLogin("staff", "tarjetas2", "Lucía Benítez Ríos",
              "rol tarjetas: la segunda persona que aprueba los cambios de «tarjetas» (cuatro ojos)",
              roles="tarjetas"),
)

AFFILIATE_LOGINS = tuple(
    DemoLogin("affiliate", a.cedula, a.full_name, a.note, password=None, email=a.email)
    for a in pagos.AFFILIATES
)

_ORDER = ("hanna", "affiliate", "corporate", "staff")
LOGINS = tuple(sorted(USERS + AFFILIATE_LOGINS, key=lambda login: _ORDER.index(login.kind)))


def _user(stats, spec, entities):
    user = db.session.query(User).filter_by(kind=spec.kind, username=spec.username).first()
    if user is not None:
        _fill_profile(user, spec)  # never touch anything else: its password may have been changed
        return user
    entity = entities.get(spec.entity_nit)
    email = spec.email or (spec.username if "@" in spec.username else f"{spec.username}.demo@example.com")
    user = User(kind=spec.kind, username=spec.username, email=email,
                full_name=spec.full_name, password_hash="", roles=spec.roles,
                entity_id=entity.id if entity else None,
                terms_accepted_at=None if spec.first_login else utcnow())
    _fill_profile(user, spec)
    db.session.add(user)
    db.session.flush()
    passwords.set_password(user, spec.password, must_change=spec.first_login)
    stats.created("users")
    return user


def _fill_profile(user, spec):
    """Nombre, apellido, cargo, área where the user has none (a database loaded before them)."""
    for attribute, value in zip(("first_name", "last_name", "position", "area"), spec.profile, strict=False):
        if getattr(user, attribute) is None:
            setattr(user, attribute, value)


def load(stats, entities, companies):
    """Creates the users (staff first: the admin reviews the Hanna requests)."""
    users = {}
    for spec in sorted(USERS, key=lambda s: s.kind != "staff"):
        user = users[spec.username] = _user(stats, spec, entities)
        for application, status in spec.applications:
            reviewed = status != "pending"
            get_or_add(stats, ApplicationRequest, {"user_id": user.id, "application": application},
                       entity_id=entities[spec.entity_nit].id, status=status,
                       note="Solicitud de demostración",
                       reviewed_by_id=users["admin"].id if reviewed else None,
                       reviewed_at=utcnow() if reviewed else None,
                       review_note="Documentos verificados" if reviewed else None)
        for nit, permissions in spec.companies:
            get_or_add(stats, Membership, {"user_id": user.id, "company_id": companies[nit].id},
                       **{f"can_{p}": p in permissions for p in PERMISSIONS})
    _pending_change(stats, users, companies)
    db.session.commit()
    return users


def _pending_change(stats, users, companies):
    """«tarjetas» proposes that «nuevo» may also authorize in JAHC; «tarjetas2» (or admin)
    approves it in Cambios por aprobar. Once: never again after it was decided."""
    membership = db.session.query(Membership).filter_by(user_id=users["nuevo"].id,
                                                        company_id=companies[JAHC.nit].id).one()
    target = four_eyes.membership_target(membership)
    if db.session.query(ChangeRequest.id).filter_by(target=target).first() is None:
        current = {p: bool(getattr(membership, f"can_{p}")) for p in PERMISSIONS}
        four_eyes.propose(users["tarjetas"], MEMBERSHIP_PERMISSIONS, target, dict(current, authorize=True),
                          current, membership.company_id)
        stats.created("change_requests")
