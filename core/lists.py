"""Circular doubly linked lists with the semantics of include/linux/list.h.

The free lists of the buddy allocator are kernel `struct list_head` lists, and
the seed's boundary pointers are `struct list_head *` into them.  To reproduce
the seed exactly (insertion "before the boundary", the boundary walking to
`page->lru.next`, "the head is the entry after the list head") the model uses
the same structure: a list is a sentinel node whose `next` is the first entry
and whose `prev` is the last one.

`list_del` poisons the removed entry as the kernel does: `next` becomes
LIST_POISON1 and `prev` LIST_POISON2, two sentinel nodes that are on no list.
A stale pointer to a removed entry is therefore detectable instead of
silently pointing somewhere plausible, and, as in the kernel, a node's links
are never "no pointer": every node always has a `next` and a `prev`.
"""

from __future__ import annotations


class ListHead:
    """A list node, or the sentinel head of a list (`struct list_head`)."""

    __slots__ = ("next", "prev")

    def __init__(self) -> None:
        # INIT_LIST_HEAD: an empty list points at itself both ways.
        self.prev: ListHead = self
        self.next: ListHead = self


# include/linux/poison.h: where list_del leaves a removed entry's links.
LIST_POISON1 = ListHead()
LIST_POISON2 = ListHead()


def __list_add(new: ListHead, prev: ListHead, next: ListHead) -> None:
    next.prev = new
    new.next = next
    new.prev = prev
    prev.next = new


def list_add(new: ListHead, head: ListHead) -> None:
    """Insert `new` right after `head` (at the head of the list)."""
    __list_add(new, head, head.next)


def list_add_tail(new: ListHead, head: ListHead) -> None:
    """Insert `new` right before `head`; with the list head, at the tail.

    The seed uses this with a boundary entry as `head` to insert in front of
    the hinted blocks (`add_to_free_list_tail`, seed 1982-1998).
    """
    __list_add(new, head.prev, head)


def __list_del(prev: ListHead, next: ListHead) -> None:
    next.prev = prev
    prev.next = next


def list_del(entry: ListHead) -> None:
    """Unlink `entry` and poison it, like the kernel's list_del."""
    __list_del(entry.prev, entry.next)
    entry.next = LIST_POISON1
    entry.prev = LIST_POISON2


def list_move(entry: ListHead, head: ListHead) -> None:
    """Move `entry` from whatever list it is on to the head of another."""
    __list_del(entry.prev, entry.next)
    list_add(entry, head)


def list_empty(head: ListHead) -> bool:
    return head.next is head


def list_move_tail(entry: ListHead, head: ListHead) -> None:
    """Move `entry` from whatever list it is on to just before `head` (with a list head: the tail)."""
    __list_del(entry.prev, entry.next)
    list_add_tail(entry, head)


def list_is_first(entry: ListHead, head: ListHead) -> bool:
    return entry.prev is head


def list_rotate_to_front(entry: ListHead, head: ListHead) -> None:
    """Rotate the list `head` so that `entry` is its first entry (v5.7's include/linux/list.h).

    The list head itself moves to just before `entry`: the entries that were
    in front of `entry` end up, in their order, behind the old last entry.
    Free page reporting uses it to leave the next unreported block first.
    """
    list_move_tail(head, entry)
