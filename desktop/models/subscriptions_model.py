"""The subscriptions (purchases) behind one license, in the license properties dialog."""

from __future__ import annotations

from collections.abc import Hashable
from enum import IntEnum
from typing import Any

from core.domain.licensing import LicenseSubscription
from desktop import formatting
from desktop.models.base import RowTableModel


class SubscriptionColumn(IntEnum):
    ID = 0
    STATUS = 1
    SEATS = 2
    TRIAL = 3
    CREATED = 4
    NEXT_LIFECYCLE = 5


SUBSCRIPTION_HEADERS = {
    SubscriptionColumn.ID: "Subscription",
    SubscriptionColumn.STATUS: "Status",
    SubscriptionColumn.SEATS: "Seats",
    SubscriptionColumn.TRIAL: "Trial",
    SubscriptionColumn.CREATED: "Created",
    SubscriptionColumn.NEXT_LIFECYCLE: "Next lifecycle date",
}


class SubscriptionsModel(RowTableModel[LicenseSubscription]):
    Column = SubscriptionColumn
    HEADERS = SUBSCRIPTION_HEADERS
    NUMERIC = frozenset({SubscriptionColumn.SEATS})

    def key(self, row: LicenseSubscription) -> Hashable:
        return row.id

    def display(self, row: LicenseSubscription, column: int) -> str:
        if column == SubscriptionColumn.ID:
            return row.id
        if column == SubscriptionColumn.STATUS:
            return row.status
        if column == SubscriptionColumn.SEATS:
            return formatting.count(row.total_licenses)
        if column == SubscriptionColumn.TRIAL:
            return formatting.yes_no(row.is_trial)
        if column == SubscriptionColumn.CREATED:
            return formatting.day(row.created_at)
        return formatting.day(row.next_lifecycle_at)

    def sort_value(self, row: LicenseSubscription, column: int) -> Any:
        if column == SubscriptionColumn.SEATS:
            return row.total_licenses
        return self.display(row, column)
