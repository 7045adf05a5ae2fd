"""The rows of the Create PowerShell Source Connection dialog, built once from the core
catalogue and shown or hidden with `QFormLayout.setRowVisible` as the choices change."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QVBoxLayout, QWidget

from core.domain.beacon import BeaconVersion
from core.domain.cloud import Cloud
from core.domain.connection import (
    AuthMethod,
    ConnectionDraft,
    ConnectionSecrets,
    CredentialKind,
    ProxyMode,
    SourceType,
    UsagePeriod,
    connection_methods,
    effective_method,
)
from core.domain.fields import FieldSpec
from desktop.dialogs.field_row import FieldRow
from desktop.widgets.inline_message import InlineMessage

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Connection", ("name", "source_type", "method", "cloud")),
    (
        "Sign-in",
        (
            "tenant", "client_id", "redirect_uri", "use_device_code", "username", "password",
            "credential_kind", "client_secret", "certificate_path", "certificate_password",
            "secret_expires_on",
        ),
    ),
    ("Endpoints", ("authority_host", "graph_endpoint", "token_endpoint", "scope",
                   "use_beta_reports")),
    ("Network, schedule and usage", ("proxy_mode", "proxy_url", "proxy_username",
                                     "proxy_password", "schedule", "usage_period")),
)  # fmt: skip
ENUMS: dict[str, type[Any]] = {
    "source_type": SourceType,
    "method": AuthMethod,
    "credential_kind": CredentialKind,
    "cloud": Cloud,
    "proxy_mode": ProxyMode,
    "usage_period": UsagePeriod,
}
SECRET_NAMES = frozenset(f.name for f in dataclasses.fields(ConnectionSecrets))
DRAFT_NAMES = frozenset(f.name for f in dataclasses.fields(ConnectionDraft))
MANUAL_NOTE = (
    "Beacon 2018 R2 does not fill in the Microsoft 365 fields: type the tenant, application, "
    "endpoints and scope by hand."
)


class FieldCatalogue(Protocol):
    """What the form asks core about its rows; the controller answers."""

    def connection_fields(
        self,
        source_type: SourceType,
        version: BeaconVersion,
        method: AuthMethod | None = None,
        credential_kind: CredentialKind = CredentialKind.SECRET,
        cloud: Cloud = Cloud.GLOBAL,
        *,
        tenant: str = "",
        proxy_mode: ProxyMode | None = None,
    ) -> list[FieldSpec]: ...

    def manual_entry(self, source_type: SourceType, version: BeaconVersion) -> bool: ...


def all_specs(catalogue: FieldCatalogue, version: BeaconVersion) -> list[FieldSpec]:
    """Every row any choice can show, in dialog order (the union over the choices)."""
    order: list[str] = []
    first: dict[str, FieldSpec] = {}
    for source_type in SourceType:
        for method in connection_methods(source_type):
            for kind in CredentialKind:
                for cloud in Cloud:
                    specs = catalogue.connection_fields(source_type, version, method, kind, cloud)
                    _merge(order, first, specs)
    return [first[name] for name in order]


def _merge(order: list[str], first: dict[str, FieldSpec], specs: Iterable[FieldSpec]) -> None:
    previous: str | None = None
    for spec in specs:
        if spec.name not in first:
            first[spec.name] = spec
            order.insert(order.index(previous) + 1 if previous else 0, spec.name)
        previous = spec.name


class ConnectionForm(QWidget):
    """Signals: changed(): the user edited any field (validate again)."""

    changed = Signal()

    def __init__(
        self,
        catalogue: FieldCatalogue,
        version: BeaconVersion,
        *,
        editing: bool = False,
        browse: Callable[[str], str | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._catalogue = catalogue
        self.version = version
        self.editing = editing
        self._base = ConnectionDraft(name="")
        self.rows: dict[str, FieldRow] = {}
        self._forms: dict[str, tuple[QGroupBox, QFormLayout]] = {}
        self._visible: set[str] = set()
        self.notice = InlineMessage()
        self._build(browse)
        self.refresh()

    # Building

    def _build(self, browse: Callable[[str], str | None] | None) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        group_of = {name: title for title, names in GROUPS for name in names}
        for title, _ in (*GROUPS, ("Other", ())):
            box = QGroupBox(title, self)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self._forms[title] = (box, form)
            layout.addWidget(box)
        for spec in all_specs(self._catalogue, self.version):
            row = FieldRow(spec, self, browse)
            row.edited.connect(self._on_row_edited)
            self.rows[spec.name] = row
            _, form = self._forms[group_of.get(spec.name, "Other")]
            form.addRow(row.label, row.container)
            if spec.name == "source_type":
                form.addRow(self.notice)
        layout.addStretch(1)
        self._order_tabs()
        width = max(row.label.sizeHint().width() for row in self.rows.values()) + 12
        for row in self.rows.values():
            row.label.setMinimumWidth(width)

    def _order_tabs(self) -> None:
        """Tab goes down the form as it reads: group by group, and within a group in the
        order its rows were added (the catalogue's), whatever order the widgets were made;
        the notice under Source Type (its links) comes right after that row."""
        group_of = {name: i for i, (_, names) in enumerate(GROUPS) for name in names}
        order = sorted(self.rows, key=lambda name: group_of.get(name, len(GROUPS)))
        blocks: list[QWidget] = []
        for name in order:
            blocks.append(self.rows[name].container)
            if name == "source_type":
                blocks.append(self.notice)
        chain = [
            widget
            for block in blocks
            for widget in (block, *block.findChildren(QWidget))
            if widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.focusProxy() is None
            and widget.window() is self.window()  # not a combo box's popup list
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # State

    def _choice(self, name: str, default: Any) -> Any:
        row = self.rows.get(name)
        raw = row.value() if row is not None else None
        try:
            return ENUMS[name](raw) if raw is not None else default
        except ValueError:
            return default

    def current_specs(self) -> list[FieldSpec]:
        source_type = self._choice("source_type", SourceType.MICROSOFT_365)
        method = effective_method(source_type, self._choice("method", None))
        tenant_row = self.rows.get("tenant")
        return self._catalogue.connection_fields(
            source_type,
            self.version,
            method,
            self._choice("credential_kind", CredentialKind.SECRET),
            self._choice("cloud", Cloud.GLOBAL),
            tenant=str(tenant_row.value()) if tenant_row else "",
            proxy_mode=self._choice("proxy_mode", ProxyMode.NONE),
        )

    def refresh(self) -> None:
        """Show the rows the current choices need, with their current labels and values."""
        specs = {spec.name: spec for spec in self.current_specs()}
        self._visible = set(specs)
        for name, row in self.rows.items():
            spec = specs.get(name)
            if spec is not None:
                row.apply_spec(spec)
                if spec.help and spec.help in specs["source_type"].help and name != "source_type":
                    row.help.show_text("")  # already said by the notice under Source Type
                if self.editing and spec.secret and isinstance(row.editor, QLineEdit):
                    row.editor.setPlaceholderText("Kept in the keychain; type to replace")
            for _, form in self._forms.values():
                if form.indexOf(row.container) >= 0:
                    form.setRowVisible(row.container, spec is not None)
        for box, form in self._forms.values():
            box.setVisible(any(form.isRowVisible(r.container) for r in self._rows_in(form)))
        self._show_notice(specs.get("source_type"))

    def _rows_in(self, form: QFormLayout) -> list[FieldRow]:
        return [r for r in self.rows.values() if form.indexOf(r.container) >= 0]

    def _show_notice(self, spec: FieldSpec | None) -> None:
        source_type = self._choice("source_type", SourceType.MICROSOFT_365)
        if spec is not None and spec.help:
            self.rows["source_type"].help.show_text("")
            level = "warning" if source_type is SourceType.OFFICE_365 else "info"
            self.notice.show_message(level, html.escape(spec.help))
        elif self._catalogue.manual_entry(source_type, self.version):
            self.notice.show_message("info", html.escape(MANUAL_NOTE))
        else:
            self.notice.clear()

    def is_visible_field(self, name: str) -> bool:
        return name in self._visible

    def visible_fields(self) -> list[str]:
        """The rows the layout shows, in order (what the user sees)."""
        shown = []
        for name, row in self.rows.items():
            for _, form in self._forms.values():
                if form.indexOf(row.container) >= 0 and form.isRowVisible(row.container):
                    shown.append(name)
        return shown

    # Drafts

    def load(self, draft: ConnectionDraft) -> None:
        """Fill the form from a draft (a new one's defaults or a saved connection)."""
        self._base = draft
        for name in ENUMS:
            self.refresh()
            if name in self.rows:
                self.rows[name].set_value(getattr(draft, name))
        self.refresh()
        for name, row in self.rows.items():
            if name in ENUMS:
                continue
            source = draft.secrets if name in SECRET_NAMES else draft
            if hasattr(source, name):
                row.set_value(getattr(source, name))
        self.refresh()

    def keep_sign_in(self, sign_in_id: str) -> None:
        """Carry a sign-in done before saving in the drafts, so its token cache is kept."""
        self._base = dataclasses.replace(self._base, sign_in_id=sign_in_id)

    def draft(self) -> ConnectionDraft:
        """The draft the visible fields describe; hidden fields take their defaults."""
        defaults = ConnectionDraft(name="")
        values: dict[str, Any] = {}
        secrets: dict[str, str] = {}
        for name, row in self.rows.items():
            visible = name in self._visible
            if name in SECRET_NAMES:
                secrets[name] = str(row.value()) if visible else ""
            elif name in DRAFT_NAMES:
                value = row.value() if visible else getattr(defaults, name)
                values[name] = ENUMS[name](value) if name in ENUMS and value is not None else value
        source_type = values.get("source_type", SourceType.MICROSOFT_365)
        values["method"] = effective_method(source_type, values.get("method"))
        return dataclasses.replace(self._base, **values, secrets=ConnectionSecrets(**secrets))

    def show_errors(self, errors: dict[str, str], *, reveal_all: bool) -> dict[str, str]:
        """Show each visible field's message (once touched, or all when `reveal_all`);
        return the messages of fields that are not shown."""
        for name, row in self.rows.items():
            row.set_message(errors.get(name, ""), show=reveal_all or row.touched)
        return {k: v for k, v in errors.items() if k not in self._visible}

    def touch_all(self) -> None:
        for row in self.rows.values():
            row.touched = True

    @Slot(str)
    def _on_row_edited(self, name: str) -> None:
        if name in ENUMS or name == "tenant":
            self.refresh()
        self.changed.emit()
