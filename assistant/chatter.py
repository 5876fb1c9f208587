"""Forum chatter: the greetings, thanks, apologies and pleas around a learner's question.

Real posts wrap the problem in words that say nothing about it ("Hi all, I've been stuck on
this for hours. ... Any help appreciated, thanks!"). Left in, they dilute what the dense side
embeds and the share of the learner's words a candidate must say, and they match other
learners' chatter. ``strip`` drops them, as Stack Overflow strips salutations from posts:

- a greeting that opens the text or a line ("Hi all,", "Hello everyone!", "Dear mentors,");
- a short sentence with no code or number in it that is a courtesy or a plea: thanks,
  regards and sign-offs, apologies, "any help/hint appreciated", "can someone help",
  "I'm new to this", "I searched the forum", "I've been stuck for hours", deadlines, and
  pointers to what the post pastes ("here is my code:", "see the screenshot");
- such phrases inside a sentence that says more ("thanks in advance", "for hours").

The patterns are generic English, not any course's words. A sentence that names code (an
identifier, a call, a number) is never dropped whole, and nothing is dropped when it would
leave no words: a post that is only "help please" is searched as written.

Patterns only catch the chatter they were written for (on held-out chatter they take back little:
docs/benchmarks.md). ``keep_telling`` is learned instead: in a question of two or more
sentences, a sentence with no code, no number and no word the course's own threads and errata
tie to an identifier (``links.LinkStats.telling``) is dropped ("Cheers from Berlin!", "I watched
the videos twice.").
"""

from __future__ import annotations

from collections.abc import Callable

from core.linear_regex import Pattern
from index.text import token_set

# "Hi all," / "Hello everyone!" / "Hey guys" / "Dear mentors," / "Good morning," at the start.
_GREETING = Pattern(
    r"(?i)^\s*(?:hi+|hello+|hey+|hiya|howdy|greetings|dear|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:all|everyone|everybody|guys|folks|there|team|friends|people|community|mentors?"
    r"|instructors?|staff|fellow\s+\w+|y'?all))?\s*[,.!:;-]*(?:\s+|$)"
)
# Words a courtesy may trail ("thanks so much in advance for your help guys").
_TAIL = (
    r"(?:[\s,!.]+(?:here|now|again|guys|all|everyone|everybody|folks|please|pls|so\s+much|a\s+lot"
    r"|thanks?|thank\s+you|thx|cheers|appreciated"
    r"|very\s+much|in\s+advance|for\s+(?:your|any|the|all\s+the)\s+(?:help|time|reply|replies"
    r"|answers?|support|hints?|guidance|patience)|to\s+(?:all|everyone|you)|on\s+this(?:\s+one)?"
    r"|with\s+this(?:\s+one)?|out|a\s+bit|at\s+all|:\)|:\())*"
)
_TIME = (
    r"(?:hours|days|ages|weeks|a\s+(?:long\s+)?while|a\s+long\s+time|(?:the\s+)?(?:past|last)"
    r"\s+(?:few\s+|two\s+|three\s+|several\s+|couple\s+(?:of\s+)?)?(?:hours|days|weeks)"
    r"|(?:two|three|four|five|several|many|a\s+few|a\s+couple\s+(?:of\s+)?)\s+(?:hours|days|weeks))"
)
_THIS = (
    r"(?:this|it|that)(?:\s+(?:one|exercise|assignment|problem|part|task|bug|issue|lab|notebook))?"
)
# A courtesy or plea that is the whole sentence (an optional first name after a sign-off).
_COURTESY = Pattern(
    r"(?i)^\W*(?:"
    r"(?:many\s+|big\s+|a\s+lot\s+of\s+)?thanks?|thank\s+you|thx|ty|tia|cheers|regards|best"
    r"|best\s+regards|kind\s+regards|warm\s+regards|sincerely|much\s+appreciated|appreciated"
    r"|(?:any|some|all)\s+(?:help|hints?|ideas?|suggestions?|advice|pointers?|guidance|tips?)"
    r"(?:\s+(?:is|are|would\s+be|will\s+be))?(?:\s+(?:greatly|much|really|very\s+much|highly))?"
    r"(?:\s+appreciated|\s+welcome|\s+please)?"
    r"|(?:please|pls|plz|kindly)\s+(?:help|advise|assist|guide|suggest)(?:\s+me)?"
    r"|help(?:\s+(?:me|please|needed|wanted))?"
    r"|(?:can|could|would|will)\s+(?:any|some)\s*(?:one|body)\s+(?:please\s+)?(?:help|assist|advise"
    r"|guide|take\s+a\s+look|have\s+a\s+look)(?:\s+me)?"
    r"|i\s+(?:would|'d)\s+(?:really\s+|greatly\s+)?(?:appreciate|be\s+(?:very\s+|really\s+)?grateful"
    r"\s+for)\s+(?:any|some|your)\s+(?:help|hints?|ideas?|advice|pointers?|guidance)"
    r"|(?:i\s+)?hope\s+(?:some|any)\s*(?:one|body)\s+can\s+help(?:\s+me)?"
    r"|sorry(?:\s+(?:if|for|in\s+advance|to)\b[^.!?,]*)?|apologies(?:\s+(?:if|for|in\s+advance)\b"
    r"[^.!?,]*)?|i\s+apologi[sz]e\b[^.!?,]*"
    r"|(?:i'?m|i\s+am)\s+(?:really\s+|completely\s+|totally\s+|so\s+|quite\s+|very\s+)?(?:new"
    r"(?:\s+(?:to|in)\s+(?:python|programming|coding|this|ml|ai|machine\s+learning|deep\s+learning"
    r"|the\s+course|the\s+forum|this\s+course|this\s+forum|data\s+science))?|a\s+(?:total\s+)?"
    r"(?:beginner|newbie|noob)|lost|stuck|confused|frustrated|desperate)"
    r"|(?:i'?ve|i\s+have|i)\s+(?:already\s+)?(?:searched|looked\s+(?:through|at|in)|gone\s+through"
    r"|checked|read|browsed)\s+(?:the\s+|this\s+|other\s+|all\s+the\s+|similar\s+|through\s+the\s+)?"
    r"(?:forum|discussions?|threads?|posts?|questions?|community|faq)(?:\s+[\w']+){0,5}"
    r"|(?:i'?ve|i\s+have)\s+been\s+(?:stuck|trying|working|struggling)(?:\s+(?:on|with|at))?\s+"
    + _THIS
    + r"(?:\s+for\s+"
    + _TIME
    + r")?"
    r"|(?:i'?ve|i\s+have)\s+(?:spent|wasted)\s+(?:" + _TIME + r"|(?:so\s+)?(?:much|a\s+lot\s+of)"
    r"\s+time)(?:\s+(?:on|with|trying\s+to\s+(?:fix|solve|debug))\s+" + _THIS + r")?"
    r"|(?:i'?ve|i\s+have)\s+tried\s+everything(?:\s+i\s+(?:can|could)\s+think\s+of)?"
    r"|what\s+am\s+i\s+(?:doing\s+wrong|missing)|what\s+(?:'s|is)\s+wrong(?:\s+with\s+my\s+code)?"
    r"|(?:a\s+)?(?:quick|simple|silly|dumb|stupid|noob|beginner)\s+question"
    r"|(?:this|it)\s*(?:is|'s)\s+(?:driving|making)\s+me\s+(?:crazy|nuts|mad|insane)"
    r"|(?:the\s+|my\s+)?deadline\s+is\s+(?:today|tomorrow|tonight|soon|close|near|approaching)"
    # A pointer to what the post pastes or attaches: the pasted part speaks for itself.
    r"|(?:(?:here\s+is|here'?s|this\s+is|below\s+is|(?:please\s+)?see|i'?ve\s+attached"
    r"|i\s+(?:have\s+)?attached|i'?m\s+attaching|attaching|(?:i'?ve\s+)?pasted)\s+)?"
    r"(?:my|the|a)\s+(?:full\s+|whole\s+|complete\s+|entire\s+)?(?:code|function"
    r"|implementation|output|traceback|error(?:\s+message)?|screenshot|image|cell)"
    r"(?:\s+(?:is\s+)?(?:below|above|here|attached))?"
    r")" + _TAIL + r"(?:[\s,]+(?-i:[A-Z][a-z]+))?[\s.!?,:;)]*$"
)
# Inside a longer sentence.
_PHRASE = Pattern(
    r"(?i)(?:,\s*|\s+|^)(?:thanks?|thank\s+you)(?:\s+(?:so\s+much|a\s+lot))?\s+in\s+advance\b"
    r"|(?:,\s*|\s+|^)(?:any|all)\s+help\s+(?:(?:is|would\s+be)\s+)?(?:greatly\s+|much\s+|really\s+)?"
    r"appreciated\b"
    r"|\s+for\s+" + _TIME + r"(?:\s+now)?\b"
    r"|(?:,\s*|\s+|^)(?:this|it)\s*(?:is|'s)\s+(?:driving|making)\s+me\s+(?:crazy|nuts|mad|insane)\b"
    r"|(?:,\s*|\s+|^)(?:please|pls|plz)\s+help(?:\s+me)?\b"
    # At the end of a line with no full stop before it: a sign-off, a thanks, an aside.
    r"|[\s,.!;:-]+(?:(?:best\s+|kind\s+|warm\s+)?regards|cheers|thanks?|thank\s+you|thx|ty|tia)"
    + _TAIL
    + r"(?:[\s,]+(?-i:[A-Z][a-z]+))?[\s.!]*$"
    r"|[\s,.!;:-]+(?:i'?ve|i\s+have)\s+(?:spent|wasted)\s+"
    + _TIME
    + r"(?:\s+(?:on|with)\s+"
    + _THIS
    + r")?[\s.!]*$"
    r"|[\s,.!;:-]+(?:i'?ve|i\s+have)\s+tried\s+everything[\s.!]*$"
    r"|[\s,.!;:-]+what\s+am\s+i\s+(?:doing\s+wrong|missing)(?:\s+here)?[\s.!?]*$"
)
# Sentence ends: . ! ? (one or more) followed by space, or a line break.
_SENTENCE_END = Pattern(r"[.!?]+\s+|\n+")
# Code or a number: an identifier with _ or a dot or brackets, a call, a digit.
_TECHNICAL = Pattern(r"[_()\[\]{}=<>#/\\`]|\w\.\w|\d")
MAX_COURTESY_WORDS = 16


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[start : m.end()])
        start = m.end()
    out.append(text[start:])
    return [s for s in out if s.strip()]


def _courtesy(sentence: str) -> bool:
    words = sentence.split()
    return (
        len(words) <= MAX_COURTESY_WORDS
        and not _TECHNICAL.search(sentence)
        and _COURTESY.search(sentence.strip()) is not None
    )


def _sentence(sentence: str) -> str:
    """One sentence without its plea phrases and courtesy clauses ("" when it is all chatter)."""
    if _courtesy(sentence):
        return ""
    rest = _PHRASE.sub("", sentence).strip(" ,;:-")
    clauses = [c for c in rest.replace(";", ",").split(",") if c.strip()]
    kept = [c for c in clauses if not _courtesy(c)]
    return ", ".join(c.strip(" ,;:-") for c in kept) if len(kept) < len(clauses) else rest


def strip_line(line: str) -> str:
    """``line`` without its greeting, courtesy sentences and clauses, and plea phrases."""
    line = _GREETING.sub("", line)
    return " ".join(filter(None, map(_sentence, _sentences(line)))).strip(" ,;:-")


def keep_telling(prose: str, telling: Callable[[str], bool], *, pasted: bool = False) -> str:
    """``prose`` without the sentences that name no code, no number and no word the course's
    content ties to code (``links.LinkStats.telling``): what the pattern above missed ("Cheers
    from Berlin!"). When the learner's words are all there is to search by, nothing is dropped
    from a one-sentence question, nor when nothing would be left. When they ``pasted`` something
    else (code, a traceback, an identifier: ``Parsed.terms``), that is searched anyway, so prose
    that tells nothing goes whole: "Long time lurker, first time asking." above a pasted line
    of code would otherwise be most of what the dense side embeds."""
    sentences = _sentences(prose)
    if len(sentences) < 2 and not pasted:
        return prose
    kept = [
        s for s in sentences
        if _TECHNICAL.search(s) or any(telling(w) for w in token_set(s) if w.isalpha())
    ]  # fmt: skip
    if not kept:
        return "" if pasted else prose
    return " ".join(s.strip() for s in kept)


def strip(lines: list[str]) -> list[str]:
    """The learner's prose lines without chatter; none when they were all chatter (a post that
    is nothing else is then searched as written: ``retrieval.build_query``)."""
    return [s for s in (strip_line(line) for line in lines) if s and any(c.isalpha() for c in s)]
