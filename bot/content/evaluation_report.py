"""`content evaluate`'s report: report.md, report.json, confusion.png, a terminal summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.content.evaluate import WORST_ERRORS, Scores


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _figure(name: str, value: float) -> str:
    return f"{value:.1f}" if name in ("training seconds", "parse ms per example") else _pct(value)


def render_markdown(scores: Scores, *, title: str, compare: tuple[str, Scores] | None) -> str:
    lines = [f"# {title}", ""]
    how = f"{scores.folds}-fold cross-validation" if scores.folds > 1 else "one 80/20 split"
    lines += [
        f"{scores.examples} held-out examples ({how}, stratified by language and intent); "
        f"confidence threshold {scores.threshold:.2f}; config `{scores.config}`.",
        "",
        "## Headline figures",
        "",
    ]
    ours = scores.headline()
    if compare is None:
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {k} | {_figure(k, v)} |" for k, v in ours.items()]
    else:
        ref, theirs = compare
        other = theirs.headline()
        lines += [f"| figure | {ref} | this version | change |", "|---|---|---|---|"]
        for k, v in ours.items():
            before = other.get(k)
            if before is None:
                lines.append(f"| {k} | - | {_figure(k, v)} | |")
                continue
            delta = v - before
            change = (
                f"{delta:+.1f}"
                if k in ("training seconds", "parse ms per example")
                else (f"{100 * delta:+.1f} pt")
            )
            lines.append(f"| {k} | {_figure(k, before)} | {_figure(k, v)} | {change} |")
    lines += [
        "",
        "Escalation recall: escalate- and crisis-route examples sent to escalate or crisis. "
        "Crisis recall: crisis examples sent to crisis. False escalation rate: faq and service "
        "examples sent to escalate or crisis; false crisis rate: those sent to crisis. "
        "Fallback rate: in-scope examples that fell back. "
        "Confident accuracy: the right intent, above the threshold. "
        "Figures named \"bot:\" are for the bot's routes, the most serious of the NLU's, "
        "the lexicons' (content/safety/) and the fold's semantic safety head's; the others "
        "are the NLU's alone.",
        "",
        "## Per intent",
        "",
        "| intent | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.intent} | {s.precision:.2f} | {s.recall:.2f} | {s.f1:.2f} | {s.support} |"
        for s in sorted(scores.intents, key=lambda s: s.f1)
    ]
    lines += ["", f"## The {WORST_ERRORS} worst errors", ""]
    if not scores.worst_errors:
        lines.append("None.")
    else:
        lines += [
            "| text | lang | expected | predicted | confidence | route | where |",
            "|---|---|---|---|---|---|---|",
        ]
        for e in scores.worst_errors:
            text = e.text.replace("|", "\\|")
            lines.append(
                f"| {text} | {e.lang} | {e.expected} | {e.predicted} | {e.confidence:.2f} | "
                f"{e.expected_route} → {e.predicted_route} | {e.where} |"
            )
    lines += ["", "![confusion matrix](confusion.png)", ""]
    return "\n".join(lines)


def plot_confusion(scores: Scores, path: Path) -> None:
    """The confusion matrix (rows: expected intent, columns: predicted) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted(scores.confusion)
    columns = [*labels, "(fallback)"]
    extra = sorted({p for row in scores.confusion.values() for p in row} - set(columns))
    columns += extra
    matrix = [[scores.confusion[r].get(c, 0) for c in columns] for r in labels]
    size = max(6.0, 0.32 * len(columns) + 3)
    fig, ax = plt.subplots(figsize=(size, size * len(labels) / len(columns) + 1))
    try:
        # Row-normalised so small intents are as visible as large ones.
        shares = [[v / max(1, sum(row)) for v in row] for row in matrix]
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                if value:
                    color = "white" if shares[i][j] > 0.5 else "black"
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=5, color=color)
        ax.set_xlabel("predicted")
        ax.set_ylabel("expected")
        ax.set_title("held-out confusion matrix")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    finally:
        plt.close(fig)


def write_report(
    scores: Scores, out: Path, *, compare: tuple[str, Scores] | None = None
) -> list[Path]:
    """report.md, report.json and confusion.png in `out`; the files written."""
    out.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"current": scores.to_json()}
    if compare is not None:
        data["compare"] = {"ref": compare[0], **compare[1].to_json()}
    paths = [out / "report.md", out / "report.json", out / "confusion.png"]
    paths[0].write_text(
        render_markdown(scores, title="NLU evaluation", compare=compare), encoding="utf-8"
    )
    paths[1].write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    plot_confusion(scores, paths[2])
    return paths


def summary(scores: Scores) -> str:
    """A few lines for the terminal."""
    langs = ", ".join(f"{k} {_pct(v)}" for k, v in scores.accuracy_by_lang.items())
    return (
        f"accuracy {_pct(scores.accuracy)} ({langs}); route accuracy "
        f"{_pct(scores.route_accuracy)}; escalation recall {_pct(scores.escalation_recall)}; "
        f"crisis recall {_pct(scores.crisis_recall)}; false escalation "
        f"{_pct(scores.false_escalation_rate)}; false crisis {_pct(scores.false_crisis_rate)}; "
        f"fallback {_pct(scores.fallback_rate)}; training {scores.train_seconds:.1f} s"
        + (
            "\nwith the safety net (lexicons and semantic head), as the bot routes: "
            + "; ".join(f"{name} {_pct(value)}" for name, value in scores.bot.items())
            if scores.bot
            else ""
        )
    )
