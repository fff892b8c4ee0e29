"""The Gradio chat UI: presentation over NewsRAG's public API, nothing more.

Chat answers stream through ``NewsRAG.chat_stream`` with one session id per browser tab, so
follow-ups use that tab's history only. The Library tab ingests, lists and removes through
``NewsRAG.library`` (``rag.library.Library``), the front door the CLI uses too. ``launch``
is the one way to serve it: CSS, JS, theme, queue, auth and upload limits are applied there.
"""

import ipaddress
import logging
import re
import shutil
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.dates import check_date_range
from rag.engine import Answer, NewsRAG
from rag.errors import (
    ConfigError,
    NewsragError,
    QuestionTooLong,
    RequestTimeout,
    StoreEmptyError,
)
from rag.library import supported_suffixes
from rag.limits import check_question, check_top_k
from rag.retrieve import Filters
from rag.settings import TOP_K_MAX, TOP_K_MIN, Settings
from ui import render
from ui.auth import ClientAddress, LoginGuard

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

log = logging.getLogger("newsrag.ui")
SUPPORTED_SUFFIXES = supported_suffixes()

ANSWERS = "answers"  # the queue every question waits in (see ``build_app``)
MAX_TURNS_SHOWN = 20  # answers whose sources stay in the panel
EXAMPLES = [  # about the bundled sample articles (data/sample)
    "How many peacekeepers did Moscow deploy?",
    "How did Azerbaijan respond to Russia's claims?",
    "Who told the jury that everything about FTX was built on lies?",
    "Who pulled out of the bidding for Manchester United?",
]
STYLE = Path(__file__).with_name("style.css")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Clicking a citation marker opens its answer's sources, scrolls to the card and flashes it.
# Delegated from the document, so it also works for messages rendered after page load.
CITE_JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.nr-cite') : null;
    if (!link) return;
    const target = document.getElementById((link.getAttribute('href') || '').slice(1));
    if (!target) return;
    event.preventDefault();
    const turn = target.closest('details');
    if (turn) turn.open = true;
    const card = target.closest('.nr-card') || target;
    document.querySelectorAll('.nr-focus').forEach((el) => el.classList.remove('nr-focus'));
    document.querySelectorAll('.nr-active').forEach((el) => el.classList.remove('nr-active'));
    card.classList.add('nr-focus');
    target.classList.add('nr-active');
    card.scrollIntoView({behavior: 'smooth', block: 'center'});
  }, true);
}
"""

THEME = gr.themes.Default(
    primary_hue="indigo",
    neutral_hue="slate",
    # Local fonts only: the app must not reach out to font CDNs.
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)


# Inputs ----------------------------------------------------------------------------------
def parse_date(value: str | None, label: str) -> date | None:
    """A YYYY-MM-DD box: empty means no bound; anything else gets a message saying what to type."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"The “{label}” date “{text}” is not a date.", "Use YYYY-MM-DD, e.g. 2023-11-25."
        ) from None


def build_filters(outlets: Sequence[str] | None, after: str | None, before: str | None) -> Filters:
    lo, hi = parse_date(after, "published after"), parse_date(before, "published before")
    check_date_range(lo, hi)
    return Filters(sources=list(outlets or []), after=lo, before=hi)


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """Split "user:pass" for Gradio's login; empty means no login."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("--auth must look like user:pass.", "Or unset NEWSRAG_AUTH.")
    return user, password


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def user_message(exc: BaseException) -> str:
    """One line for the chat. Unexpected errors are logged with their trace, never shown."""
    if isinstance(exc, StoreEmptyError):
        return f"{exc.message} Upload articles in the Library tab, or run `newsrag ingest PATH`."
    if isinstance(exc, NewsragError):
        return str(exc)
    log.exception("unexpected error in the chat UI")
    return render.GENERIC_ERROR


# Uploads ---------------------------------------------------------------------------------
def safe_name(name: str) -> str:
    """A file name that stays inside the upload folder: no folders, no '..', tame characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base)
    base = re.sub(r"\.{2,}", ".", base).strip(" ._-")
    stem, dot, suffix = base.rpartition(".")
    if dot and len(base) > 120:
        base = stem[: 119 - len(suffix)] + "." + suffix
    return base[:120] or "upload"


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(1 << 16), fb.read(1 << 16)
            if x != y:
                return False
            if not x:
                return True


def stage_upload(src: Path, original: str, folder: Path, max_bytes: int) -> Path:
    """Copy one upload into ``folder`` under a safe, unused name; raise with a reason."""
    name = safe_name(original)
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise ValueError(f"unsupported file type '{suffix or name}' (allowed: {allowed})")
    size = src.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:g} MB upload limit")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    stem, ext = Path(name).stem, Path(name).suffix
    n = 1
    while target.exists() and not _same_bytes(src, target):
        target = folder / f"{stem}-{n}{ext}"
        n += 1
    root = folder.resolve()
    if target.resolve().parent != root:  # belt and braces: safe_name already prevents it
        raise ValueError("file name is not allowed")
    if not target.exists():
        shutil.copyfile(src, target)
    return target


def discard_uploads(staged: Sequence[Path], files: Sequence[dict[str, Any]]) -> None:
    """Delete staged copies and Gradio's temp files of one upload batch (accepted or not).

    Gradio's files are removed only inside its upload folder (with their per-upload folder
    when it is left empty); anything else a ``path`` might name is left alone.
    """
    from gradio.utils import get_upload_folder

    root = Path(get_upload_folder()).resolve()
    temp = [Path(str(item.get("path") or "")) for item in files if item.get("path")]
    for path in [*staged, *temp]:
        try:
            real = path.resolve()
            if path in staged or root in real.parents:
                real.unlink(missing_ok=True)
                if path not in staged and real.parent != root and not any(real.parent.iterdir()):
                    real.parent.rmdir()
        except OSError as exc:  # never fail an ingest over a leftover file
            log.warning("could not delete upload %s: %s", path, exc)


def _outcome(report: "IngestReport") -> tuple[str, str]:
    """(status, detail) for one file's ingest report."""
    counts = [
        (len(report.added), "added"),
        (len(report.updated), "updated"),
        (len(report.unchanged), "unchanged"),
    ]
    done = [f"{n} {word}" for n, word in counts if n]
    reasons = "; ".join(reason for _, reason in report.failed)
    if not done:
        return ("failed", reasons) if reasons else ("failed", "no articles found in the file")
    status = next(word for n, word in counts if n)
    chunks = f"; {report.chunks} chunk{'s' if report.chunks != 1 else ''}" if report.chunks else ""
    detail = ", ".join(done) + chunks
    if reasons:
        detail += f"; skipped: {reasons}"
    return status, detail


# Handlers ---------------------------------------------------------------------------------
class Handlers:
    """What each UI event does, over NewsRAG's public API; turns results into HTML."""

    def __init__(
        self, rag: NewsRAG, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rag = rag
        self.settings = settings
        self.max_bytes = int(settings.max_upload_mb * 1_000_000)
        self.clock = clock

    def _timed(self, events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``events`` until ``request_timeout_s`` has passed, then RequestTimeout.

        Stopping closes the engine's stream, which ends its generation at the next token.
        """
        limit = self.settings.request_timeout_s
        deadline = self.clock() + limit
        try:
            for event in events:
                yield event
                if self.clock() > deadline:
                    raise RequestTimeout(limit)
        finally:
            close = getattr(events, "close", None)
            if close:
                close()

    def articles(self) -> list[dict[str, Any]]:
        try:
            return self.rag.library.articles()
        except NewsragError:
            return []

    def library_view(self) -> tuple[Any, ...]:
        """(header, outlet choices, table rows, remove choices) from the store as it is now."""
        rows = self.articles()
        return (
            render.model_html(self.rag.model_name, len(rows)),
            gr.update(choices=render.outlets(rows)),
            render.library_rows(rows),
            gr.update(choices=render.remove_choices(rows), value=None),
        )

    def respond(
        self,
        message: str,
        history: list[dict[str, Any]] | None,
        session_id: str,
        turns: list[tuple[int, str, str]],
        outlets: list[str] | None,
        after: str,
        before: str,
        top_k: float,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat, then swap in the verified text and its sources.

        Yields (chat, question box, session id, turns, sources panel).
        """
        question = (message or "").strip()
        history = list(history or [])
        turns = list(turns or [])
        session_id = session_id or uuid.uuid4().hex
        if not question:
            yield history, message, session_id, turns, gr.skip()
            return
        try:
            check_question(question, self.settings)
        except QuestionTooLong as exc:
            # Keep the text in the box, so it can be shortened rather than typed again.
            shown = question[:300] + ("…" if len(question) > 300 else "")
            history += [
                {"role": "user", "content": render.question_html(shown)},
                {"role": "assistant", "content": render.error_html(user_message(exc))},
            ]
            yield history, message, session_id, turns, gr.skip()
            return
        history += [
            {"role": "user", "content": render.question_html(question)},
            {"role": "assistant", "content": render.pending_html()},
        ]
        yield history, "", session_id, turns, gr.skip()

        def say(content: str) -> tuple[Any, ...]:
            history[-1] = {"role": "assistant", "content": content}
            return history, "", session_id, turns, gr.skip()

        answer: Answer | None = None
        raw = ""
        try:
            filters = build_filters(outlets, after, before)
            k = check_top_k(top_k) if top_k else None
            for event in self._timed(self.rag.chat_stream(session_id, question, filters, k)):
                if event["type"] == "token":
                    raw += event["text"]
                    yield say(render.streaming_html(raw))
                elif event["type"] == "answer":
                    answer = event["answer"]
        except Exception as exc:  # every failure becomes one line in the chat
            yield say(render.error_html(user_message(exc)))
            return
        if answer is None:
            yield say(render.error_html(render.GENERIC_ERROR))
            return
        turn = (turns[-1][0] + 1) if turns else 1
        history[-1] = {"role": "assistant", "content": render.answer_html(answer, turn)}
        turns = [*turns, (turn, question, render.sources_html(answer, turn))][-MAX_TURNS_SHOWN:]
        yield history, "", session_id, turns, render.sources_panel(turns)

    def new_chat(self, session_id: str) -> tuple[Any, ...]:
        """Forget this tab's conversation (the engine's memory too) and start a fresh one."""
        if session_id:
            self.rag.reset(session_id)
        return [], "", uuid.uuid4().hex, [], render.sources_panel([])

    def ingest(
        self, files: list[dict[str, Any]] | None, progress: gr.Progress = gr.Progress()
    ) -> tuple[Any, ...]:
        """Stage each upload safely, ingest it, and report every file's outcome.

        Runs with ``preprocess=False``: Gradio has already checked each path is one of its own
        uploads, and we get the browser's original name (untrusted, so sanitised) and can
        report a wrong type or size per file instead of rejecting the whole batch.
        """
        rows: list[tuple[str, str, str]] = []
        staged: list[tuple[int, Path]] = []
        try:
            # Stage everything first, so an ``x.meta.json`` sidecar is in place before ``x.txt``.
            for item in files or []:
                name = str(item.get("orig_name") or Path(item["path"]).name)
                rows.append((name, "failed", ""))
                try:
                    path = stage_upload(
                        Path(item["path"]), name, self.settings.upload_dir, self.max_bytes
                    )
                    staged.append((len(rows) - 1, path))
                except (ValueError, OSError) as exc:
                    rows[-1] = (name, "failed", str(exc))
            library = self.rag.library
            for done, (row, path) in enumerate(staged):
                name = rows[row][0]
                progress((done, len(staged)), desc=f"Ingesting {path.name}")
                if path.name.lower().endswith(".meta.json"):
                    rows[row] = (name, "metadata", "applied to the article file of the same name")
                    continue
                try:
                    ingested = library.ingest([path])
                    status, detail = _outcome(ingested.report)
                    if ingested.warnings:
                        detail += "; warning: " + "; ".join(m for _, m in ingested.warnings)
                except Exception as exc:
                    status, detail = "failed", user_message(exc)
                rows[row] = (name, status, detail)
            progress((len(staged), len(staged)), desc="Done")
        finally:
            # The store keeps the text: neither our copy nor Gradio's temp file is needed.
            discard_uploads([p for _, p in staged], files or [])
        ok = sum(1 for _, s, _ in rows if s not in ("failed", "metadata"))
        total = sum(1 for _, s, _ in rows if s != "metadata")
        summary = f"{ok} of {total} file{'s' if total != 1 else ''} ingested."
        return (render.ingest_result_html(rows, summary), None, *self.library_view())

    def remove(self, doc_id: str | None) -> tuple[Any, ...]:
        if not doc_id:
            result = render.status_html("Choose an article to remove.", ok=False)
            return (result, *self.library_view())
        try:
            found = bool(self.rag.library.remove(doc_id))
            message = f"Removed {doc_id}." if found else f"{doc_id} was not in the store."
            result = render.status_html(message, ok=found)
        except Exception as exc:
            result = render.status_html(user_message(exc), ok=False)
        return (result, *self.library_view())

    def ask(self, question: str, top_k: int = 0) -> tuple[str, dict[str, Any]]:
        """Answer one question from the articles (no chat history).

        Returns the verified answer text with [n] markers, and a JSON object with
        "refused", "citations" (number, doc_id, title, outlet, published, url, passage,
        sentence, span, score) and "model".
        """
        answer: Answer | None = None
        try:
            check_question(question or "", self.settings)
            k = check_top_k(top_k) if top_k else None
            for event in self._timed(self.rag.stream(question, top_k=k)):
                if event["type"] == "answer":
                    answer = event["answer"]
        except Exception as exc:
            raise gr.Error(user_message(exc), print_exception=False) from None
        if answer is None:
            raise gr.Error(render.GENERIC_ERROR, print_exception=False)
        return answer.text, {
            "refused": answer.refused,
            "citations": [asdict(c) for c in answer.citations],
            "model": answer.model,
        }


# Layout -----------------------------------------------------------------------------------
@dataclass
class ChatTab:
    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    examples: gr.Examples
    outlet: gr.Dropdown
    after: gr.Textbox
    before: gr.Textbox
    top_k: gr.Slider
    clear: gr.Button
    sources: gr.HTML


@dataclass
class LibraryTab:
    uploads: gr.File
    ingest: gr.Button
    result: gr.HTML
    table: gr.Dataframe
    doomed: gr.Dropdown
    remove: gr.Button
    removed: gr.HTML


def _chat_tab(settings: Settings) -> ChatTab:
    """Chat on the left (sources below it in a narrow window), sources on the right."""
    with gr.Row(equal_height=False, elem_id="nr-main"):
        with gr.Column(scale=3, min_width=320):
            chatbot = gr.Chatbot(
                elem_id="nr-chat",
                label="Conversation",
                show_label=False,
                height=520,
                latex_delimiters=[],  # "$" in news text is money, not maths
                placeholder=(
                    "Ask a question about the ingested articles. "
                    "Every claim in an answer links to its source."
                ),
                buttons=[],
            )
            with gr.Row(elem_id="nr-ask-row"):
                box = gr.Textbox(
                    elem_id="nr-question",
                    show_label=False,
                    placeholder="Ask about your articles…",
                    lines=1,
                    max_lines=4,
                    scale=5,
                    container=False,
                    autofocus=True,
                )
                send = gr.Button("Ask", variant="primary", scale=1, min_width=72, elem_id="nr-send")
            examples = gr.Examples(EXAMPLES, inputs=box, label="Try the sample articles")
            with gr.Row(equal_height=False, elem_id="nr-tools"):
                with (
                    gr.Column(scale=5, min_width=280),
                    gr.Accordion("Filters", open=False, elem_id="nr-filters"),
                ):
                    outlet = gr.Dropdown(
                        choices=[],
                        value=[],
                        multiselect=True,
                        label="Outlets",
                        info="Only these outlets (empty: all).",
                        elem_id="nr-outlets",
                    )
                    with gr.Row():
                        after = gr.Textbox(
                            label="Published after",
                            placeholder="YYYY-MM-DD",
                            elem_id="nr-after",
                            min_width=140,
                        )
                        before = gr.Textbox(
                            label="Published before",
                            placeholder="YYYY-MM-DD",
                            elem_id="nr-before",
                            min_width=140,
                        )
                    top_k = gr.Slider(
                        TOP_K_MIN,
                        TOP_K_MAX,
                        value=settings.top_k,
                        step=1,
                        label="Passages to retrieve",
                        elem_id="nr-top-k",
                    )
                clear = gr.Button(
                    "New chat", variant="secondary", scale=1, min_width=110, elem_id="nr-new"
                )
        with gr.Column(scale=2, min_width=300, elem_id="nr-side"):
            sources = gr.HTML(render.sources_panel([]), elem_id="nr-sources")
    return ChatTab(chatbot, box, send, examples, outlet, after, before, top_k, clear, sources)


def _library_tab(settings: Settings) -> LibraryTab:
    """Upload and ingest on top, the article table below, remove under it."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            uploads = gr.File(
                label=f"Add articles (up to {settings.max_upload_mb:g} MB each)",
                file_count="multiple",
                file_types=sorted(SUPPORTED_SUFFIXES),
                height=180,
                elem_id="nr-upload",
            )
        with gr.Column(scale=2, min_width=240):
            gr.HTML(render.library_help_html(sorted(SUPPORTED_SUFFIXES)))
            ingest = gr.Button("Ingest", variant="primary", elem_id="nr-ingest")
            result = gr.HTML(elem_id="nr-ingest-result")
    table = gr.Dataframe(
        headers=render.LIBRARY_HEADERS,
        datatype=["str", "str", "str", "number", "str"],
        interactive=False,
        wrap=True,
        column_widths=["44%", "16%", "13%", "9%", "18%"],
        label="Ingested articles",
        elem_id="nr-library",
    )
    with gr.Row(equal_height=False, elem_id="nr-remove-row"):
        doomed = gr.Dropdown(
            choices=[],
            label="Remove an article",
            scale=4,
            min_width=220,
            elem_id="nr-remove-choice",
        )
        remove = gr.Button("Remove", variant="stop", scale=1, min_width=100, elem_id="nr-remove")
    removed = gr.HTML(elem_id="nr-remove-result")
    return LibraryTab(uploads, ingest, result, table, doomed, remove, removed)


def build_app(rag: NewsRAG, settings: Settings) -> gr.Blocks:
    """The chat and library UI over ``rag``; serve it with ``launch`` (which adds the styles)."""
    h = Handlers(rag, settings)
    with gr.Blocks(title="newsrag", analytics_enabled=False) as demo:
        # One id per browser tab (made on its first question): the engine keeps each
        # conversation apart by it, and forgets it when the tab goes away.
        session = gr.State("", delete_callback=rag.reset)
        turns = gr.State([])  # (turn, question, source cards) per answer
        header = gr.HTML(render.model_html(rag.model_name, len(h.articles())), elem_id="nr-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = _chat_tab(settings)
            with gr.Tab("Library", id="library"):
                lib = _library_tab(settings)

        inputs = [chat.box, chat.chatbot, session, turns, chat.outlet, chat.after, chat.before]
        inputs.append(chat.top_k)
        outputs = [chat.chatbot, chat.box, session, turns, chat.sources]
        # Answers (chat and API) share one queue, ``ui_concurrency`` at a time: a waiting tab
        # sees its place ("queue: 2/3") on the chat, so one long answer never looks like a hang.
        busy: dict[str, Any] = {"api_visibility": "private", "show_progress": "minimal"}
        busy |= {"show_progress_on": [chat.chatbot], "concurrency_id": ANSWERS}
        chat.box.submit(h.respond, inputs, outputs, **busy)
        chat.send.click(h.respond, inputs, outputs, **busy)
        chat.examples.load_input_event.then(h.respond, inputs, outputs, **busy)
        chat.clear.click(h.new_chat, [session], outputs, api_visibility="private")
        chat.chatbot.clear(h.new_chat, [session], outputs, api_visibility="private")

        library = [header, chat.outlet, lib.table, lib.doomed]
        lib.ingest.click(
            h.ingest,
            [lib.uploads],
            [lib.result, lib.uploads, *library],
            api_visibility="private",
            show_progress_on=[lib.result],
            preprocess=False,
            concurrency_limit=1,  # one ingest at a time: each run first cleans half-written ones
            concurrency_id="library",
        )
        lib.remove.click(
            h.remove,
            [lib.doomed],
            [lib.removed, *library],
            api_visibility="private",
            show_progress_on=[lib.removed],
            concurrency_limit=1,
            concurrency_id="library",
        )
        demo.load(h.library_view, None, library, api_visibility="private", show_progress="hidden")
        gr.api(h.ask, api_name="ask", concurrency_id=ANSWERS)
    # One queue: answers (and API asks) run ``ui_concurrency`` at a time, in arrival order,
    # and at most ``ui_queue_size`` wait; more are told the queue is full.
    demo.queue(default_concurrency_limit=settings.ui_concurrency, max_size=settings.ui_queue_size)
    return demo


def launch(
    rag: NewsRAG,
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    auth: str | None = None,
    *,
    prevent_thread_lock: bool = False,
    quiet: bool = False,
) -> gr.Blocks:
    """Serve the UI: loopback unless ``host`` says otherwise; "user:pass" turns on a login."""
    host = host or settings.host
    port = port or settings.port
    credentials = parse_auth(auth if auth is not None else settings.auth)
    if not is_loopback(host) and credentials is None:
        message = (
            f"warning: serving on {host} without a login: anyone who can reach this address "
            "can read and change your articles. Use --auth user:pass (or NEWSRAG_AUTH)."
        )
        print(message, file=sys.stderr)
    demo = build_app(rag, settings)
    guard = (
        LoginGuard(credentials, settings.login_max_failures, settings.login_lockout_s)
        if credentials
        else None
    )
    from starlette.middleware import Middleware

    demo.launch(
        server_name=host,
        server_port=port,
        auth=guard,
        auth_message=(
            f"Log in to newsrag. After {settings.login_max_failures} failed tries, logins "
            f"pause for {settings.login_lockout_s:g} s (longer after more)."
            if guard
            else None
        ),
        app_kwargs={"middleware": [Middleware(ClientAddress)]},
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        show_error=False,
        ssr_mode=False,
        max_file_size=int(settings.max_upload_mb * 1_000_000),
        footer_links=["api"],
        theme=THEME,
        css=STYLE.read_text("utf-8") if STYLE.is_file() else None,
        js=CITE_JS,
    )
    return demo
