"""The status bar's running imports: per connection a progress bar and Cancel; and one line
for the imports headless workers run or have queued."""

from __future__ import annotations

import time

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from core.domain.imports import ImportProgress
from core.domain.queue import RequestState, WorkerImport
from desktop.jobs import ImportRunner

SHOW_AFTER_S = 0.5  # short imports never flash a progress bar


class _ImportRow(QWidget):
    def __init__(self, connection_id: int, name: str, runner: ImportRunner) -> None:
        super().__init__()
        self.connection_id = connection_id
        self.name = name
        self._runner = runner
        self.started = time.monotonic()
        self.label = QLabel(f"{name}: starting", self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(140)
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 0)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelImport")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_progress(self, event: ImportProgress) -> None:
        self.label.setText(f"{self.name}: {event.message}")
        if event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(min(event.done, event.total))
        else:
            self.bar.setRange(0, 0)
        if not self.isVisible() and time.monotonic() - self.started >= SHOW_AFTER_S:
            self.show()

    def show_cancelling(self) -> None:
        self.cancel_button.setText("Cancelling…")
        self.cancel_button.setEnabled(False)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.show_cancelling()
        self._runner.cancel(self.connection_id)


class ImportStatusPanel(QWidget):
    """Listens to the ImportRunner and shows one row per running import."""

    def __init__(self, runner: ImportRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.rows: dict[int, _ImportRow] = {}
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.workers = QLabel(self)
        self.workers.setObjectName("workerImports")
        self.workers.hide()
        self._layout.addWidget(self.workers)
        runner.started.connect(self._on_started)
        runner.progress_changed.connect(self._on_progress_changed)
        runner.running_changed.connect(self._on_running_changed)

    @Slot(int, str)
    def _on_started(self, connection_id: int, name: str) -> None:
        row = _ImportRow(connection_id, name, self._runner)
        self.rows[connection_id] = row
        self._layout.addWidget(row)

    @Slot(object)
    def _on_progress_changed(self, event: ImportProgress) -> None:
        row = self.rows.get(event.connection_id)
        if row is not None:
            row.show_progress(event)

    @Slot()
    def _on_running_changed(self) -> None:
        running = set(self._runner.running_ids())
        for connection_id in list(self.rows):
            row = self.rows[connection_id]
            if connection_id not in running:
                self._layout.removeWidget(row)
                row.deleteLater()
                del self.rows[connection_id]
            elif self._runner.is_cancelling(connection_id):
                row.show_cancelling()

    def show_worker_imports(self, imports: tuple[WorkerImport, ...]) -> None:
        """'On workers: 2 importing, 1 queued', each named in the tooltip."""
        running = sum(1 for w in imports if w.state is RequestState.RUNNING)
        queued = len(imports) - running
        parts = [f"{running} importing"] if running else []
        parts += [f"{queued} queued"] if queued else []
        self.workers.setText(f"On workers: {', '.join(parts)}" if parts else "")
        self.workers.setToolTip("\n".join(f"{w.connection_name}: {w.describe()}" for w in imports))
        self.workers.setVisible(bool(parts))
