"""What a process keeps between requests: at most so many values by key, the least recently
used going first; safe to share between a worker's threads. The kept registration pages
(:mod:`eventsvc.public.shared_pages`) and form classes (:func:`eventsvc.forms.registration_form_for`)
live in one each. A key must name everything its value is made of: nothing here ever expires
a value for being old."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """At most ``size`` values by key, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
