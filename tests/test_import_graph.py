"""The shape of the code (design.md, "Events, not imports"): `booking/` has no import cycles, the
scheduler and course services import nothing from notifications or the waitlist (they publish
events), and the pure engines import neither Flask nor SQLAlchemy.

The graph is read from the source (every `import` and `from ... import`, also those inside
functions), so a lazy import cannot hide a cycle.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "booking"

# Pure engines: plain values in, plain values out (design.md, "Layers").
PURE_ENGINES = (
    "booking.scheduler.slots",
    "booking.scheduler.statuses",
    "booking.scheduler.recurrence",
    "booking.courses.fitting",
    "booking.courses.outcomes",
    "booking.courses.cohort_outcomes",
    "booking.courses.outcome_figures",
    "booking.courses.csv_cells",
    "booking.courses.chart",
    "booking.intake.scoring",
    "booking.worker.schedule",
    "booking.diary.figures",
    "booking.diary.survival_chart",
    "booking.channels",
)
FRAMEWORKS = ("flask", "flask_babel", "flask_sqlalchemy", "flask_login", "flask_wtf",
              "sqlalchemy", "werkzeug")
# Services that publish events instead of calling their listeners.
PUBLISHERS = ("booking.scheduler.services", "booking.scheduler.appointment_changes",
              "booking.courses.services", "booking.clinic_closures")
LISTENER_PACKAGES = ("booking.notifications", "booking.waitlist", "booking.attention")


def _modules(root=PACKAGE):
    """{dotted name: (path, is_package)} of every module under booking/."""
    found = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _imports(name, path, is_package, modules):
    """(booking modules, outside top-level packages) that module `name` imports."""
    package = name if is_package else name.rpartition(".")[0]
    inside, outside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from x import y` imports the submodule x.y when there is one, else from x.
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules
                       else module for alias in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] != "booking":
                outside.add(target.split(".")[0])
                continue
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                inside.add(target)
    return inside, outside


def import_graph(root=PACKAGE):
    modules = _modules(root)
    graph, outside = {}, {}
    for name, (path, is_package) in modules.items():
        graph[name], outside[name] = _imports(name, path, is_package, modules)
    return graph, outside


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH, OUTSIDE = import_graph()


def test_the_booking_package_has_no_import_cycles():
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import(tmp_path):
    """The check above can fail: a package whose two modules import each other, one of them
    inside a function, is a cycle."""
    package = tmp_path / "booking"
    (package / "shop").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "shop" / "__init__.py").write_text("")
    (package / "shop" / "orders.py").write_text("from . import stock\n")
    (package / "shop" / "stock.py").write_text("def f():\n    from .orders import x\n")
    (package / "shop" / "prices.py").write_text("from booking.shop import stock\n")
    graph, _outside = import_graph(package)
    assert cycles(graph) == [["booking.shop.orders", "booking.shop.stock"]]


@pytest.mark.parametrize("engine", PURE_ENGINES)
def test_a_pure_engine_imports_neither_flask_nor_sqlalchemy(engine):
    assert engine in GRAPH, f"{engine} is not a module of booking/"
    assert not OUTSIDE[engine] & set(FRAMEWORKS)
    impure = {module for module in GRAPH[engine] if module not in PURE_ENGINES}
    assert impure == set(), f"{engine} imports {sorted(impure)}, which are not pure"


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_the_booking_and_course_services_import_no_listener(publisher):
    listeners = {module for module in GRAPH[publisher]
                 if module.startswith(LISTENER_PACKAGES)}
    assert listeners == set()
