"""rag.query_engine with fakes: NewsRAG's answers through LlamaIndex's query and chat engines."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.schema import QueryBundle
from llama_index.core.tools import QueryEngineTool
from llama_index.core.vector_stores.types import MetadataFilter, MetadataFilters

from rag.engine import Answer, NewsRAG
from rag.errors import InputError, StoreEmptyError
from rag.query_engine import (
    NewsRAGChatEngine,
    NewsRAGQueryEngine,
    VerifiedAsyncStreamingResponse,
    VerifiedStreamingResponse,
)
from rag.retrieve import Filters
from tests.conftest import SAMPLE, ingest_paths, run_async
from tests.fakes import FakeEmbedder, FakeLLM, react_tool_caller

PEACEKEEPERS = "How many peacekeepers did Moscow deploy?"


@pytest.fixture
def library(settings, store):
    """The bundled sample (eight articles, several outlets), ingested with fakes: a factory
    of NewsRAGs over it."""
    embedder = FakeEmbedder()
    ingest_paths(settings, store, embedder, SAMPLE)
    return lambda llm=None: NewsRAG(settings, store, embedder, llm or FakeLLM())


def _check_sources(response, store) -> Answer:
    """source_nodes[n - 1] is citation [n]: the stored chunk holding the cited sentence, with
    the article's metadata and both spans right against the article's text."""
    answer = response.metadata["answer"]
    assert isinstance(answer, Answer) and str(response) == answer.text
    assert len(response.source_nodes) == len(answer.citations) > 0
    for n, (hit, c) in enumerate(zip(response.source_nodes, answer.citations, strict=True), 1):
        node, meta = hit.node, hit.node.metadata
        article = store.article(c.doc_id)
        assert f"[{n}]" in answer.text and meta["citation"] == c.number == n
        assert node.ref_doc_id == meta["doc_id"] == c.doc_id
        assert article["text"][node.start_char_idx : node.end_char_idx] == node.text
        assert article["text"][meta["sentence_start"] : meta["sentence_end"]] == c.sentence
        assert c.sentence in node.text and hit.score == c.score
        assert (meta["title"], meta["source"], meta["url"]) == (
            article["title"],
            article["source"],
            article["url"],
        )
        assert meta["published"] == article["published"]
        assert "sentence" not in node.get_content(metadata_mode="llm").split("\n\n")[0]
    return answer


def test_query_returns_the_verified_answer_with_its_cited_passages(library, store):
    rag = library()
    engine = rag.as_query_engine()
    assert isinstance(engine, NewsRAGQueryEngine)
    response = engine.query(PEACEKEEPERS)
    assert isinstance(response, Response) and "2,000" in str(response)
    answer = _check_sources(response, store)
    assert answer.text == rag.ask(PEACEKEEPERS).text  # the same answer as the Python API
    assert response.metadata["refused"] is False
    assert response.metadata["filters"] == answer.filters
    bundled = engine.query(QueryBundle(PEACEKEEPERS))
    assert [n.node.node_id for n in bundled.source_nodes] == [
        n.node.node_id for n in response.source_nodes
    ]


def test_a_refusal_has_no_sources(library):
    response = library().as_query_engine().query("What is the capital of France?")
    assert response.metadata["refused"] is True and response.source_nodes == []
    assert str(response) == response.metadata["answer"].text


def test_filters_in_either_form_restrict_the_answer(library, store):
    fortune = MetadataFilters(filters=[MetadataFilter(key="source", value="Fortune")])
    for filters in (fortune, Filters(sources=["Fortune"])):
        engine = library().as_query_engine(filters=filters)
        response = engine.query("What did the lawyers say in their opening statements?")
        assert response.metadata["filters"]["sources"] == ["Fortune"]
        assert {n.node.metadata["source"] for n in response.source_nodes} == {"Fortune"}
        assert {n.node.metadata["source"] for n in engine.retrieve(QueryBundle("trial"))} == {
            "Fortune"
        }
    other = library().as_query_engine(filters=Filters(sources=["TechCrunch"]))
    hits = other.retrieve(QueryBundle("What did the lawyers say in their opening statements?"))
    assert hits and {n.node.metadata["source"] for n in hits} == {"TechCrunch"}


def test_top_k_is_honoured_under_either_name(library):
    rag = library()
    for options in ({"similarity_top_k": 2}, {"top_k": 2}):
        assert len(rag.as_query_engine(**options).retrieve(QueryBundle("peacekeepers"))) == 2
    assert len(rag.as_query_engine().retrieve(QueryBundle("peacekeepers"))) == rag.settings.top_k
    with pytest.raises(InputError, match="disagree"):
        rag.as_query_engine(similarity_top_k=2, top_k=3)


def test_bad_options_are_refused_when_the_engine_is_made(library):
    rag = library()
    with pytest.raises(InputError, match="Supported filters"):
        rag.as_query_engine(
            filters=MetadataFilters(filters=[MetadataFilter(key="author", value="x")])
        )
    with pytest.raises(InputError, match="MetadataFilters"):
        rag.as_query_engine(filters={"source": "Fortune"})


def test_streaming_yields_the_draft_then_holds_the_verified_answer(library, store):
    rag = library()
    response = rag.as_query_engine(streaming=True).query(PEACEKEEPERS)
    assert isinstance(response, VerifiedStreamingResponse)
    assert response.source_nodes == [] and response.metadata is None  # not yet written
    tokens = list(response.response_gen)
    answer = _check_sources(response, store)
    assert len(tokens) > 3 and "".join(tokens).strip() == answer.raw_text.strip()
    assert "[4]" in answer.raw_text and "[4]" not in str(response)  # renumbered when verified
    again = rag.as_query_engine(streaming=True).query(PEACEKEEPERS)
    assert again.get_response().response == answer.text  # drained by get_response too


def test_streaming_raises_at_the_call_not_at_the_first_token(settings, store):
    engine = NewsRAG(settings, store, FakeEmbedder(), FakeLLM()).as_query_engine(streaming=True)
    with pytest.raises(StoreEmptyError):
        engine.query(PEACEKEEPERS)


def test_async_query_plain_and_streaming(library, store):
    rag = library()

    async def run():
        plain = await rag.as_query_engine().aquery(PEACEKEEPERS)
        streamed = await rag.as_query_engine(streaming=True).aquery(PEACEKEEPERS)
        assert isinstance(streamed, VerifiedAsyncStreamingResponse)
        tokens = [t async for t in streamed.async_response_gen()]
        return plain, streamed, tokens

    plain, streamed, tokens = run_async(run())
    answer = _check_sources(plain, store)
    assert _check_sources(streamed, store).text == answer.text
    assert "".join(tokens).strip() == answer.raw_text.strip()


def test_the_engine_works_as_a_query_engine_tool(library, store):
    tool = QueryEngineTool.from_defaults(
        library().as_query_engine(), name="news", description="Answers from news articles."
    )
    output = tool.call(PEACEKEEPERS)
    assert output.content == str(output.raw_output) and "2,000" in output.content
    _check_sources(output.raw_output, store)
    output = run_async(tool.acall(input=PEACEKEEPERS))
    assert "2,000" in output.content and output.raw_output.source_nodes


# Chat engine ---------------------------------------------------------------------------
# One sentence answers it (the fake quotes the sentence sharing most words with a question;
# "What did Russia's Defense Ministry say?" ties with Azerbaijan's rebuttal, no answer).
RUSSIA_SAID = "What did Russia's Defense Ministry say Azerbaijani forces had entered?"


def test_chat_condenses_follow_ups_and_remembers_like_newsrag(library, store):
    rag = library()
    engine = rag.as_chat_engine()
    assert isinstance(engine, NewsRAGChatEngine)
    first = engine.chat(RUSSIA_SAID)
    assert first.source_nodes and first.metadata["answer"].text == first.response
    follow = engine.chat("What did Azerbaijan say about that?")
    assert "about:" in follow.metadata["answer"].standalone_question  # condensed
    assert [m.role for m in engine.chat_history] == [MessageRole.USER, MessageRole.ASSISTANT] * 2
    assert engine.chat_history == rag.history(engine.session_id)  # NewsRAG's own memory
    assert follow.sources[0].raw_output.source_nodes == follow.source_nodes
    other = rag.as_chat_engine()  # a session of its own
    assert (
        other.chat("What did Azerbaijan say about it?").metadata["answer"].standalone_question == ""
    )
    engine.reset()
    assert engine.chat_history == [] and len(other.chat_history) == 2


def test_stream_chat_yields_the_draft_then_the_verified_answer(library, store):
    engine = library().as_chat_engine(session_id="s1")
    engine.chat(RUSSIA_SAID)
    stream = engine.stream_chat("What did Azerbaijan say about it?")
    tokens = list(stream.response_gen)
    answer = stream.answer
    assert "".join(tokens).strip() == answer.raw_text.strip()
    assert str(stream) == stream.response == answer.text
    assert "about:" in answer.standalone_question
    assert [n.node.metadata["citation"] for n in stream.source_nodes] == [
        c.number for c in answer.citations
    ]
    assert len(engine.chat_history) == 4 and engine.chat_history[-1].content == answer.text


def test_async_chat_plain_and_streaming(library):
    engine = library().as_chat_engine()

    async def run():
        first = await engine.achat(RUSSIA_SAID)
        stream = await engine.astream_chat("What did Azerbaijan say about it?")
        tokens = [t async for t in stream.async_response_gen()]
        return first, stream, tokens

    first, stream, tokens = run_async(run())
    assert first.source_nodes and "Defense Ministry" in stream.answer.standalone_question
    assert "".join(tokens).strip() == stream.answer.raw_text.strip()
    assert stream.response == stream.answer.text and len(engine.chat_history) == 4


def test_a_chat_history_given_replaces_the_sessions(library):
    rag = library()
    engine = rag.as_chat_engine()
    engine.chat("What did Azerbaijan say?")
    history = [
        ChatMessage(role=MessageRole.USER, content="What did Russia's Defense Ministry say?")
    ]
    reply = engine.chat("What did Azerbaijan say about it?", chat_history=history)
    assert "Russia" in reply.metadata["answer"].standalone_question
    assert engine.chat_history[0].content == history[0].content and len(engine.chat_history) == 3


def test_the_tool_inside_a_llamaindex_react_agent(library, store):
    """LlamaIndex's own agent loop calls the engine as a tool (async) and answers from it."""
    from llama_index.core.agent.workflow import ReActAgent

    tool = QueryEngineTool.from_defaults(
        library().as_query_engine(), name="news", description="Answers from news articles."
    )
    agent = ReActAgent(tools=[tool], llm=FakeLLM(react_tool_caller("news", PEACEKEEPERS)))

    async def run():  # the workflow starts its tasks on the running loop
        return await agent.run(user_msg=f"Use the news tool: {PEACEKEEPERS}")

    result = run_async(run())
    [call] = result.tool_calls
    assert call.tool_name == "news" and call.tool_kwargs == {"input": PEACEKEEPERS}
    answer = _check_sources(call.tool_output.raw_output, store)
    assert "2,000" in answer.text and answer.text in result.response.content
