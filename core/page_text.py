"""page_repr's documents in words: one page, one page under every encoding, and the zone totals.

The CLI (page_cli.py) prints these; they read the `hinting-page/1` and
`hinting-pages/1` documents only, so what a terminal shows is exactly what
the API sends.
"""

from __future__ import annotations

from typing import Any

LABEL = 22


def _row(label: str, text: str) -> str:
    return f"  {label:<{LABEL}}{text}"


def _encoding_line(doc: dict[str, Any]) -> str:
    enc, design = doc["encoding"], doc["design"]
    if enc["own"]:
        whose = f"the {design['name']} design's own encoding"
    elif design["own_encoding"]:
        whose = f"not the {design['name']} design's own ({design['own_encoding']})"
    else:
        whose = f"the {design['name']} design has none of these encodings of its own"
    return f"{enc['name']}: {enc['bit']} ({whose})"


def _lru_end(end: dict[str, Any] | str | None) -> str:
    if isinstance(end, dict):
        return f"pfn {end['pfn']}" if "pfn" in end else f"{end['list_head']} (the list head)"
    return str(end)


def render_page(view: dict[str, Any]) -> str:
    sp = view["struct_page"]
    pt = sp["page_type"]
    flags = sp["flags"]
    types = ", ".join(pt["types"]) or "no type"
    lines = [
        f"pfn {view['pfn']} in zone {view['zone']}, under {_encoding_line(view)}",
        f"  {view['block_text']}",
        "",
        "struct page",
        _row("flags", f"{flags['hex']} ({', '.join(flags['names']) or 'none'})"),
        _row("page_type/_mapcount", f"{pt['hex']} = {pt['signed']}: {types}"),
        _row("private", f"{sp['private']}: {sp['private_text']}"),
        _row("_refcount", str(sp["refcount"])),
    ]
    lru = sp["lru"]
    if lru["state"] in ("listed", "poisoned"):
        lines.append(_row("lru.next", _lru_end(lru["next"])))
        lines.append(_row("lru.prev", _lru_end(lru["prev"])))
    lines.append(_row("lru", lru["text"]))
    kernel, kpf, md, walk = view["kernel"], view["kpageflags"], view["makedumpfile"], view["list_walkers"]
    lines += [
        "",
        "what each consumer concludes",
        _row("PageBuddy()", "true" if kernel["PageBuddy"] else "false"),
        _row("PageOffline()", kernel["PageOffline_text"]),
        _row("/proc/kpageflags", f"{kpf['hex']} {kpf['text']}" + (f"  ({'; '.join(kpf['why'])})" if kpf["why"]
                                                                   else "")),
        _row(f"makedumpfile -d {md['dump_level']}", f"{md['text']}: {md['reason']}"),
        _row("crash kmem -f, drgn", walk["text"]),
    ]
    return "\n".join(lines)


def render_compare(views: list[dict[str, Any]]) -> str:
    """One page under every encoding, side by side."""
    first = views[0]
    keys = (("flags", "flags"), ("page_type/_mapcount", "page_type"), ("PageBuddy/PageOffline", "kernel"),
            ("/proc/kpageflags", "kpageflags"), (f"makedumpfile -d {first['makedumpfile']['dump_level']}",
                                                 "makedumpfile"), ("crash kmem -f, drgn", "walkers"))
    titles = [v["encoding"]["name"] + (" (own)" if v["encoding"]["own"] else "") for v in views]
    width = 2 + max(len(t) for t in [*titles, *(_cell(v, key) for v in views for _, key in keys)])
    rows = [f"pfn {first['pfn']} in zone {first['zone']}: {first['block_text']}", "",
            _row("", "".join(f"{t:<{width}}" for t in titles)).rstrip()]
    for label, key in keys:
        rows.append(_row(label, "".join(f"{_cell(v, key):<{width}}" for v in views)).rstrip())
    return "\n".join(rows)


def _cell(v: dict[str, Any], key: str) -> str:
    sp = v["struct_page"]
    if key == "flags":
        return f"{sp['flags']['hex']} {' '.join(sp['flags']['names'])}".strip()
    if key == "page_type":
        return f"{sp['page_type']['hex']} ({sp['page_type']['signed']})"
    if key == "kernel":
        return f"{'yes' if v['kernel']['PageBuddy'] else 'no'}/{'yes' if v['kernel']['PageOffline'] else 'no'}"
    if key == "kpageflags":
        return str(v["kpageflags"]["text"])
    if key == "makedumpfile":
        return str(v["makedumpfile"]["text"])
    return "sees it" if v["list_walkers"]["sees"] else "misses it"


def render_pages(doc: dict[str, Any]) -> str:
    """Per zone: makedumpfile, PageOffline, flag writes, and page-types' summary of /proc/kpageflags."""
    mark = doc["design"]["mark_name"]
    out = [f"under {_encoding_line(doc)}"]
    for z in doc["zones"]:
        md, fw, po = z["makedumpfile"], z["flag_writes"], z["pageoffline"]
        out += [
            "",
            f"zone {z['name']} (pfns {z['start_pfn']}-{z['start_pfn'] + z['pages'] - 1})",
            _row("free", f"{z['free_pages']} pages on the lists in {z['free_blocks']} blocks, {z['batch_pages']} in "
                 f"the batch; {mark}: {z['marked_blocks']} blocks, {z['marked_pages']} pages"),
            _row(f"makedumpfile -d {doc['dump_level']}",
                 f"excludes {md['excluded_free']} free pages; writes out {md['dumped_though_free']} free pages "
                 f"({md['dumped_on_lists']} on the lists, {md['dumped_in_batch']} in the batch)"),
            _row("PageOffline()", f"true on {po['pages']} free pages (the heads of {po['block_pages']} pages)"
                 if po["pages"] else "true on no free page"),
            _row("flag writes", f"{fw['total']} since the run began (list adds {fw['list_adds']}, removals "
                 f"{fw['list_removals']}, "
                 f"marks set {fw['marks_set']}, cleared on a list {fw['marks_cleared_on_list']}, cleared leaving "
                 f"it {fw['marks_cleared_off_list']})"),
            "  /proc/kpageflags, as page-types groups it:",
            "             flags\tpage-count       MB  symbolic-flags\t\t\tlong-symbolic-flags",
        ]
        for g in z["kpageflags"]:
            out.append(f"{g['flags']}\t{g['pages']:>10} {g['mb']:>8}  {g['symbolic']}\t{g['long']}")
        out.append(f"             total\t{z['pages']:>10} {z['pages'] * 4 // 1024:>8}")
        out += [f"  {g['text']}: {g['what']}" for g in z["kpageflags"]]
    return "\n".join(out)
