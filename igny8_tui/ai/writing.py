"""Deterministic writing for the local provider: intent-shaped ideas, articles and image prompts."""

from __future__ import annotations

import hashlib
import html
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from igny8_tui.ai.clustering import normalise
from igny8_tui.ai.outputs import (
    ArticleDraft,
    ClusterInput,
    ContentInput,
    IdeaDraft,
    ImagePromptDraft,
    Intent,
    KeywordInput,
    TaskInput,
)
from igny8_tui.ai.provider import ProviderError
from igny8_tui.content_html import sanitize_html

DEFAULT_TARGET_WORD_COUNT = 1500
MAX_TARGET_KEYWORDS = 6
META_TITLE_MAX_CHARS = 60
META_DESCRIPTION_MIN_CHARS = 120
META_DESCRIPTION_MAX_CHARS = 160
INTRO_SHARE = 0.1
CONCLUSION_SHARE = 0.08
LIST_CHANCE = 0.35
MIN_LIST_SECTION_WORDS = 60
SENTENCE_LOOKAHEAD = 8

_WORD = re.compile(r"\w", re.UNICODE)
_STEP = "#"

INTENT_ORDER: tuple[Intent, ...] = ("informational", "commercial", "transactional", "navigational")
_INTENT_CUES: tuple[tuple[Intent, frozenset[str]], ...] = (
    (
        "transactional",
        frozenset(
            "buy purchase order price prices pricing cost costs cheap cheapest deal deals "
            "discount coupon sale shop delivery hire quote".split()
        ),
    ),
    (
        "commercial",
        frozenset(
            "best top vs versus review reviews compare comparison alternative alternatives "
            "rated".split()
        ),
    ),
    ("navigational", frozenset("login website official app account contact near".split())),
)
_LEADING_FILLER = frozenset(
    "best top cheap cheapest buy diy affordable good great easy simple a an the".split()
)
_QUESTION_STARTS = frozenset(
    "how what when why where which who can should do does is are will".split()
)
_INFINITIVE_QUESTIONS = frozenset({"how", "when", "where"})
_VOWELS = frozenset("aeiou")
_TRAILING_FILLER = frozenset(
    "for beginners beginner near me cost costs price prices pricing ideas review reviews guide "
    "tips online a an the in on of with at and".split()
)
_SMALL_WORDS = frozenset("a an and as at but by for in of on or the to vs with".split())


def word_count(text: str) -> int:
    """Words in plain text, counted exactly as `content_html.count_words` counts them."""
    return sum(1 for token in text.split() if _WORD.search(token))


def seeded_rng(*parts: object) -> random.Random:
    """A random generator seeded from the input text, so equal inputs give equal outputs."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def infer_intent(text: str) -> Intent:
    """The intent a keyword's modifiers suggest ("buy", "best", "vs", "login"...)."""
    words = set(normalise(text))
    for intent, cues in _INTENT_CUES:
        if words & cues:
            return intent
    return "informational"


def keyword_intent(keyword: KeywordInput) -> Intent:
    return keyword.intent or infer_intent(keyword.text)


def dominant_intent(keywords: Sequence[KeywordInput]) -> Intent:
    """The intent carrying the most search volume; ties follow `INTENT_ORDER`."""
    weight: Counter[str] = Counter()
    for keyword in keywords:
        weight[keyword_intent(keyword)] += max(keyword.volume, 0) + 1
    return max(INTENT_ORDER, key=lambda intent: (weight[intent], -INTENT_ORDER.index(intent)))


def gerund(verb: str) -> str:
    """The -ing form of a verb: prune -> pruning, dig -> digging, grow -> growing."""
    word = verb.lower()
    if word.endswith("ie"):
        return word[:-2] + "ying"
    if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) and len(word) > 2:
        return word[:-1] + "ing"
    short_closed = (
        3 <= len(word) <= 4
        and word[-1] not in _VOWELS | {"w", "x", "y"}
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    )
    return word + word[-1] + "ing" if short_closed else word + "ing"


def subject(text: str) -> str:
    """The noun phrase of a keyword, or "" for a question that has none.

    "best cedar raised beds for beginners" -> "cedar raised beds"; "how to prune apple trees"
    -> "pruning apple trees"; a comparison keeps its longer side.
    """
    words = text.split()
    lowered = [w.lower() for w in words]
    if len(words) > 2 and lowered[0] in _INFINITIVE_QUESTIONS and lowered[1] == "to":
        words = [gerund(words[2]), *words[3:]]
    elif lowered and lowered[0] in _QUESTION_STARTS:
        return ""
    for separator in ("vs", "versus", "vs."):
        if separator in words:
            at = words.index(separator)
            left, right = words[:at], words[at + 1 :]
            words = left if len(left) >= len(right) else right
    start, end = 0, len(words)
    while start < end and words[start].lower() in _LEADING_FILLER:
        start += 1
    while end > start and words[end - 1].lower() in _TRAILING_FILLER:
        end -= 1
    return " ".join(words[start:end])


def topic_of(texts: Sequence[str], fallback: str) -> str:
    """The subject of the first keyword that has one, else the fallback."""
    return next((found for text in texts if (found := subject(text))), fallback)


def title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        word if word != word.lower() or (i and word in _SMALL_WORDS) else word.capitalize()
        for i, word in enumerate(words)
    )


# ----- ideas -----


@dataclass(frozen=True)
class _IdeaPlan:
    """One kind of article: a title pattern over the subject {T}, its type, structure and pitch."""

    title: str
    content_type: str
    content_structure: str
    pitch: str


_IDEA_PLANS: dict[str, tuple[_IdeaPlan, ...]] = {
    "informational": (
        _IdeaPlan(
            "How to Get Started with {T}: A Step-by-Step Guide",
            "guide",
            "how-to",
            "A hands-on walkthrough that takes beginners from first decisions to first results.",
        ),
        _IdeaPlan(
            "{T}: The Complete Beginner's Guide",
            "guide",
            "guide",
            "An all-in-one guide that explains the essentials, the tools and the common pitfalls.",
        ),
        _IdeaPlan(
            "{T} Explained: What You Need to Know",
            "post",
            "explainer",
            "A clear explainer that answers the basic questions and clears up common myths.",
        ),
        _IdeaPlan(
            "{N} Practical Tips for {T}",
            "listicle",
            "listicle",
            "A scannable list of practical tips readers can apply straight away.",
        ),
        _IdeaPlan(
            "Common Mistakes with {T} and How to Avoid Them",
            "post",
            "listicle",
            "A troubleshooting list of the mistakes people make most and how to fix each one.",
        ),
        _IdeaPlan(
            "{T}: Your Questions Answered",
            "post",
            "faq",
            "A question-and-answer article covering what readers most often ask.",
        ),
    ),
    "commercial": (
        _IdeaPlan(
            "The Best {T}: Top Picks Compared",
            "listicle",
            "listicle",
            "A ranked round-up of the best options, with the pick for each kind of buyer.",
        ),
        _IdeaPlan(
            "{T} Compared: Which Option Is Right for You?",
            "comparison",
            "comparison",
            "A side-by-side comparison of the main options on cost, quality and ease of use.",
        ),
        _IdeaPlan(
            "{T} Review: Is It Worth It?",
            "review",
            "review",
            "An honest review weighing strengths, weaknesses and value for money.",
        ),
        _IdeaPlan(
            "Best {T} for Beginners and Every Budget",
            "listicle",
            "listicle",
            "A shortlist of recommendations grouped by budget and experience level.",
        ),
        _IdeaPlan(
            "{T} Buyer's Checklist: What Separates the Best from the Rest",
            "guide",
            "guide",
            "A checklist of the features and quality signs that matter before choosing.",
        ),
        _IdeaPlan(
            "Top-Rated {T} Alternatives Worth Considering",
            "listicle",
            "comparison",
            "A look at the strongest alternatives and when each one makes more sense.",
        ),
    ),
    "transactional": (
        _IdeaPlan(
            "{T} Buying Guide: What to Look for Before You Buy",
            "guide",
            "buying-guide",
            "A buying guide that helps ready-to-buy readers choose well and avoid regret.",
        ),
        _IdeaPlan(
            "The Cost of {T}: A Clear Price Breakdown",
            "post",
            "pricing",
            "A price breakdown with typical ranges, hidden costs and ways to save.",
        ),
        _IdeaPlan(
            "{T} Deals: How to Get the Best Value",
            "post",
            "deals",
            "Practical advice on finding genuine deals and spotting poor offers.",
        ),
        _IdeaPlan(
            "Where to Buy {T}: Online and Local Options",
            "guide",
            "buying-guide",
            "A guide to the places worth buying from and what each does best.",
        ),
        _IdeaPlan(
            "{T} on a Budget: Affordable Options That Work",
            "listicle",
            "listicle",
            "A list of affordable choices that still deliver good results.",
        ),
    ),
    "navigational": (
        _IdeaPlan(
            "{T}: An Overview",
            "page",
            "overview",
            "An overview page that orients readers and points them to the right resources.",
        ),
        _IdeaPlan(
            "{T} at a Glance: Key Facts and Resources",
            "page",
            "overview",
            "A quick reference with the key facts, links and next steps in one place.",
        ),
        _IdeaPlan(
            "{T} Resource Hub: Guides, Tools and Answers",
            "page",
            "hub",
            "A hub page gathering the most useful guides and answers on the subject.",
        ),
        _IdeaPlan(
            "Getting the Most from {T}: A Quick Tour",
            "post",
            "overview",
            "A short tour of what is available and how to make the most of it.",
        ),
    ),
}

# Seven candidate headings per structure; the first and last are always kept. "#" marks a step.
_OUTLINES: dict[str, tuple[str, ...]] = {
    "how-to": (
        "What You Need Before You Start",
        "#Plan Around Your Space, Time and Goals",
        "#Gather the Right Tools for {T}",
        "#Work Through the Core Steps",
        "#Check Your Results and Adjust",
        "Common Mistakes to Avoid",
        "Keeping Up with {T} Over Time",
    ),
    "guide": (
        "Understanding the Basics of {T}",
        "Key Benefits of {T}",
        "Tools and Materials You Will Need",
        "Timing and Planning",
        "Common Problems and How to Fix Them",
        "Advanced Tips for Better Results",
        "Frequently Asked Questions about {T}",
    ),
    "explainer": (
        "The Short Answer",
        "Understanding the Basics of {T}",
        "{T} in Practice",
        "Pros and Cons to Weigh",
        "Myths and Misconceptions",
        "When to Consider {T}",
        "Where to Learn More",
    ),
    "listicle": (
        "Why These Picks Matter",
        "Start with a Clear Plan",
        "Choose Quality over Quantity",
        "Pay Attention to Timing",
        "Keep It Simple at First",
        "Track What Works",
        "Putting It All Together",
    ),
    "faq": (
        "What Should Beginners Know about {T}?",
        "How Much Time Should You Set Aside?",
        "What Are the Most Common Mistakes?",
        "Which Tools Are Worth Having?",
        "What Costs Should You Expect?",
        "Who Benefits Most from {T}?",
        "Where Can You Learn More?",
    ),
    "comparison": (
        "The Options at a Glance",
        "Key Differences in Cost",
        "Durability and Build Quality",
        "Ease of Use and Maintenance",
        "Which Option Suits Which Situation",
        "Pros and Cons Side by Side",
        "Our Recommendation",
    ),
    "review": (
        "First Impressions of {T}",
        "Key Features",
        "Performance in Real Use",
        "What We Liked",
        "What Could Be Better",
        "Value for Money",
        "Verdict: Is It Worth It?",
    ),
    "buying-guide": (
        "What to Consider Before Buying {T}",
        "Key Features to Compare",
        "Setting a Realistic Budget",
        "Where to Buy {T}",
        "Questions to Ask Before You Buy",
        "Mistakes Buyers Often Make",
        "Our Buying Checklist",
    ),
    "pricing": (
        "What Drives the Cost of {T}",
        "Typical Price Ranges",
        "Hidden Costs to Watch For",
        "Ways to Save Money on {T}",
        "Is Paying More Worth It?",
        "Budget versus Premium Options",
        "How to Get an Accurate Quote",
    ),
    "deals": (
        "Where the Best Deals on {T} Appear",
        "When Prices Usually Drop",
        "How to Compare Offers",
        "Bundles and Kits Worth a Look",
        "Red Flags in Cheap Offers",
        "Stretching Your Budget Further",
        "Before You Check Out",
    ),
    "overview": (
        "{T} at a Glance",
        "Key Facts to Know",
        "Getting Started",
        "Popular Questions",
        "Helpful Tools and Resources",
        "Related Topics",
        "Where to Go Next",
    ),
    "hub": (
        "Start Here",
        "Beginner Guides",
        "In-Depth Guides",
        "Tools and Checklists",
        "Answers to Common Questions",
        "Latest Updates",
        "Where to Go Next",
    ),
}


def outline_for(structure: str, topic: str, rng: random.Random) -> list[str]:
    """Four to seven headings in a sensible order for a content structure."""
    candidates = _OUTLINES.get(structure, _OUTLINES["guide"])
    size = rng.randint(4, len(candidates))
    middle = sorted(rng.sample(range(1, len(candidates) - 1), size - 2))
    chosen = [candidates[0], *(candidates[i] for i in middle), candidates[-1]]
    headings: list[str] = []
    step = 0
    for heading in chosen:
        text = heading.replace("{T}", title_case(topic))
        if text.startswith(_STEP):
            step += 1
            text = f"Step {step}: {text[1:]}"
        headings.append(text)
    return headings


def _ranked_keywords(keywords: Sequence[KeywordInput], intent: Intent) -> list[KeywordInput]:
    """Keywords of the dominant intent first, then the rest; each by volume, then text."""
    return sorted(keywords, key=lambda k: (keyword_intent(k) != intent, -k.volume, k.text))


def _idea_candidates(
    plans: Sequence[_IdeaPlan], ranked: Sequence[KeywordInput]
) -> list[tuple[_IdeaPlan, KeywordInput]]:
    """Every (plan, primary keyword) pair, the first round pairing plan i with keyword i."""
    m, n = len(plans), len(ranked)
    return [(plans[j % m], ranked[(j % m + j // m) % n]) for j in range(m * n)]


def _idea(
    plan: _IdeaPlan, primary: KeywordInput, cluster: ClusterInput, target_word_count: int, part: int
) -> IdeaDraft:
    by_volume = sorted(cluster.keywords, key=lambda k: (-k.volume, k.text))
    topic = subject(primary.text) or topic_of([k.text for k in by_volume], cluster.name)
    rng = seeded_rng("idea", cluster.name, plan.title, primary.text)
    outline = outline_for(plan.content_structure, topic, rng)
    title = plan.title.replace("{T}", title_case(topic)).replace("{N}", str(len(outline)))
    if part > 1:
        title = f"{title} (Part {part})"
    others = [k.text for k in by_volume if k.text != primary.text]
    keywords = [primary.text, *others]
    return IdeaDraft(
        title=title[:300],
        description=f"{plan.pitch} Targets \u201c{primary.text}\u201d.",
        content_type=plan.content_type,
        content_structure=plan.content_structure,
        outline=outline,
        target_keywords=keywords[:MAX_TARGET_KEYWORDS],
        target_word_count=target_word_count,
    )


def ideas_for_cluster(
    cluster: ClusterInput, count: int, target_word_count: int = DEFAULT_TARGET_WORD_COUNT
) -> list[IdeaDraft]:
    """`count` ideas with distinct titles, shaped by the cluster's dominant search intent."""
    keywords = cluster.keywords or [KeywordInput(id=0, text=cluster.name)]
    intent = dominant_intent(keywords)
    candidates = _idea_candidates(_IDEA_PLANS[intent], _ranked_keywords(keywords, intent))
    ideas: list[IdeaDraft] = []
    titles: set[str] = set()
    for j in range(len(candidates) * (count + 1)):
        if len(ideas) == count:
            break
        plan, primary = candidates[j % len(candidates)]
        idea = _idea(plan, primary, cluster, target_word_count, j // len(candidates) + 1)
        if idea.title not in titles:
            titles.add(idea.title)
            ideas.append(idea)
    return ideas


# ----- articles -----

_INTRO_OPENERS = (
    "If you have been searching for “{kw}”, you are in the right place.",
    "Few subjects cause as much confusion as {topic}, yet the essentials are easy to learn.",
    "Getting the details of {topic} right makes a real difference, and this {kind} shows you how.",
    "Whether you are just starting out or refining what you already do, it pays to understand "
    "{topic} properly.",
)
_INTRO_MAPS = (
    "This {kind} covers everything from “{first}” to “{last}”.",
    "Below, we move from “{first}” through to “{last}”, one step at a time.",
    "We start with “{first}” and finish with “{last}”, so you can jump to whatever you need.",
)
_SECTION_OPENERS = (
    "The idea behind “{heading}” is simple: get the fundamentals right and the rest follows.",
    "When it comes to {topic}, “{heading}” is where many people either succeed or stall.",
    "Let us look at “{heading}” in practical terms.",
    "“{heading}” deserves a closer look, especially if {topic} is new to you.",
    "Before going further, it helps to be clear about what “{heading}” means for you.",
    "This part of the {kind} focuses on “{heading}” and what it changes in practice.",
)
_BODY = (
    "A little planning goes a long way here.",
    "Many readers searching for “{kw}” want practical answers rather than theory, so we "
    "keep things concrete.",
    "Start by looking at what you already have and what you actually need.",
    "Small, consistent steps tend to beat one big push.",
    "If you are new to {topic}, focus on the basics before anything else.",
    "It helps to write down what you try, because patterns only show up over time.",
    "Conditions vary from place to place, so treat any numbers here as a starting point rather "
    "than a rule.",
    "People with years of experience often give the same advice: keep it simple and stay "
    "consistent.",
    "Think about {topic} in terms of time, cost and effort, and decide which of the three matters "
    "most to you.",
    "A common mistake is to rush this stage and then spend weeks fixing the results.",
    "Take a moment to check the details, since they are easy to overlook when you are busy.",
    "The right choice depends on your space, your budget and how much time you can give it each "
    "week.",
    "Most problems with {topic} can be traced back to a handful of simple causes.",
    "Adjust one thing at a time so you can see what each change really does.",
    "Quality matters more than quantity at this point.",
    "If something does not look right, go back to the basics before changing everything at once.",
    "For most people, a simple approach works better than a complicated one.",
    "It is worth reading the instructions or product details carefully before you commit.",
    "Give each change enough time to show results before you judge it.",
    "Ask yourself what a good outcome looks like, then work backwards from there.",
    "There is rarely a single right answer, but there are plenty of avoidable mistakes.",
    "Budget a little extra time for the unexpected.",
    "The same principles apply whether you are working at a small or a large scale.",
    "Consider where {topic} sits in your wider plans rather than treating it in isolation.",
    "Good preparation makes every later step easier.",
    "Once the basics are in place, you can refine the details with confidence.",
    "Be realistic about how much upkeep you are willing to take on.",
    "Reliable information beats guesswork, so check a trusted source when in doubt.",
    "A short checklist can save you from repeating the same mistakes.",
    "Seasoned fans of {topic} rarely chase shortcuts; they build habits instead.",
    "You do not need expensive equipment to get good results with {topic}.",
    "Patience is underrated, and it pays off more often than not.",
    "Keep an eye on the small signals, because they usually appear before the big problems do.",
    "What works for one person may need adjusting for another, and that is perfectly normal.",
    "Try to understand why each step matters, not just what to do.",
    "Even a modest improvement here can make the whole project more enjoyable.",
    "People who look up “{kw}” usually want to know where to start, and this is a good place.",
    "Interest in “{kw}” rises and falls through the year, so it pays to plan ahead.",
)
_COMMERCIAL_BODY = (
    "Compare at least two or three options before you decide.",
    "Price is only part of the story; durability and support matter just as much.",
    "Reviews are most useful when they come from people with needs similar to yours.",
    "The most popular choice is not always the best fit for your situation.",
    "Look closely at what is included, since extras can change the real value of an option.",
    "A slightly higher upfront cost can pay for itself if the option lasts longer.",
    "Shoppers comparing options for “{kw}” should look past the headline price.",
)
_TRANSACTIONAL_BODY = (
    "Check delivery times and return policies before you place an order.",
    "Prices for “{kw}” can vary a lot between sellers, so it pays to shop around.",
    "Set a budget first, then look for the best option within it.",
    "Bundles can be good value, but only if you will use everything in them.",
    "Seasonal sales are often the best time to buy.",
    "Keep receipts and warranty details together in case you need them later.",
)
_LIST_ITEMS = (
    "Check the basics before you buy anything new",
    "Set a realistic budget and stick to it",
    "Write down what you try and what happens",
    "Start small, then scale up what works",
    "Compare at least two options side by side",
    "Ask someone with experience for a second opinion",
    "Keep the tools you need close at hand",
    "Review your progress every few weeks",
    "Leave room for mistakes while you learn",
    "Focus on quality over quantity",
    "Read the label or instructions twice",
    "Plan around the time you really have",
)
_CONCLUSION_OPENERS = (
    "In short, success with {topic} comes down to patience and a clear plan.",
    "All in all, the key to {topic} is to start simple and improve step by step.",
    "To sum up, {topic} is far less daunting once you know where to focus.",
)
_CONCLUSION = (
    "Use the sections above as a checklist, and come back to them whenever you need a refresher.",
    "Whether you are just starting or refining an existing setup, the same principles apply.",
    "Pick one idea from this {kind} and put it into practice this week.",
    "For more practical guides, explore the rest of {site}.",
)
# Short sentences of every length from one to twelve words, to land on an exact word count.
_FILLERS: dict[int, tuple[str, ...]] = {
    1: ("Enjoy.",),
    2: ("Plan ahead.", "Stay patient.", "Keep going."),
    3: ("Patience pays off.", "Keep it simple.", "Details matter here."),
    4: ("Start small and build.", "Check twice, act once."),
    5: ("Small changes add up quickly.", "Good habits make this easier."),
    6: ("Take your time with this step.", "Steady progress beats perfection every time."),
    7: ("A little preparation saves a lot later.",),
    8: ("It is better to start simple than never.",),
    9: ("Most people find this easier than they first expected.",),
    10: ("Give yourself time to learn, and the results will follow.",),
    11: ("Write down what you try so you can repeat what works.",),
    12: ("Keep the goal in mind, and the small decisions become much easier.",),
}
_MAX_FILLER_WORDS = max(_FILLERS)
_COMMERCIAL_STRUCTURES = frozenset({"comparison", "review", "listicle"})
_TRANSACTIONAL_STRUCTURES = frozenset({"buying-guide", "pricing", "deals"})


class _Deck:
    """Templates dealt in a seeded shuffled order, reshuffled when used up."""

    def __init__(self, templates: Sequence[str], rng: random.Random) -> None:
        self._templates = list(templates)
        self._rng = rng
        self._queue: list[str] = []

    def deal(self) -> str:
        if not self._queue:
            self._queue = self._templates[:]
            self._rng.shuffle(self._queue)
        return self._queue.pop()

    def put_back(self, template: str) -> None:
        self._queue.insert(0, template)


class _Writer:
    """Builds sentences from templates, landing each part on an exact number of words."""

    def __init__(self, task: TaskInput, headings: Sequence[str]) -> None:
        self.rng = seeded_rng(
            "article", task.title, headings, task.target_keywords, task.target_word_count
        )
        self.keywords = task.target_keywords or [task.title]
        self.slots = {
            "topic": topic_of(self.keywords, task.title),
            "title": task.title,
            "site": task.site_name or "our site",
            "kind": task.content_type or "guide",
            "first": headings[0],
            "last": headings[-1],
        }
        body = list(_BODY)
        if task.content_structure in _COMMERCIAL_STRUCTURES:
            body += _COMMERCIAL_BODY
        if task.content_structure in _TRANSACTIONAL_STRUCTURES:
            body += _TRANSACTIONAL_BODY
        self.body = _Deck(body, self.rng)
        self.items = _Deck(_LIST_ITEMS, self.rng)
        self.conclusion = _Deck(_CONCLUSION, self.rng)

    def realise(self, template: str, heading: str = "") -> str:
        text = template.format(heading=heading, kw=self.rng.choice(self.keywords), **self.slots)
        return text[0].upper() + text[1:]

    def fill(
        self, budget: int, openers: Sequence[str], deck: _Deck, heading: str = ""
    ) -> list[str]:
        """Sentences of exactly `budget` words: the openers, then the deck, then short fillers."""
        sentences: list[str] = []
        queue = [self.realise(t, heading) for t in openers]
        while budget > 0:
            sentence = queue.pop(0) if queue else self._fitting(deck, budget)
            words = word_count(sentence) if sentence else 0
            if not sentence or words > budget:
                break
            sentences.append(sentence)
            budget -= words
        if budget == 1 and sentences:
            budget += word_count(sentences.pop())
        return sentences + self._fillers(budget)

    def _fitting(self, deck: _Deck, budget: int) -> str:
        for _ in range(SENTENCE_LOOKAHEAD):
            template = deck.deal()
            sentence = self.realise(template)
            if word_count(sentence) <= budget:
                return sentence
            deck.put_back(template)
        return ""

    def _fillers(self, budget: int) -> list[str]:
        sentences: list[str] = []
        while budget > 0:
            size = budget if budget <= _MAX_FILLER_WORDS else min(_MAX_FILLER_WORDS, budget - 2)
            sentences.append(self.rng.choice(_FILLERS[size]))
            budget -= size
        return sentences

    def pick(self, templates: Sequence[str]) -> str:
        return self.rng.choice(templates)

    def list_items(self, count: int) -> list[str]:
        return [self.realise(self.items.deal()) for _ in range(count)]

    def paragraphs(self, sentences: Sequence[str]) -> list[str]:
        grouped: list[str] = []
        start = 0
        while start < len(sentences):
            size = self.rng.randint(3, 5)
            grouped.append(" ".join(sentences[start : start + size]))
            start += size
        return grouped


def _shares(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` words into parts of at least one word each, roughly by weight."""
    raw = [(total - len(weights)) * w / sum(weights) for w in weights]
    shares = [1 + int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (int(raw[i]) - raw[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _p(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def _section(writer: _Writer, heading: str, budget: int) -> list[str]:
    parts = [f"<h2>{html.escape(heading, quote=False)}</h2>"]
    items: list[str] = []
    if budget >= MIN_LIST_SECTION_WORDS and writer.rng.random() < LIST_CHANCE:
        items = writer.list_items(writer.rng.randint(3, 5))
    listed = sum(word_count(item) for item in items)
    sentences = writer.fill(budget - listed, [writer.pick(_SECTION_OPENERS)], writer.body, heading)
    paragraphs = [_p(text) for text in writer.paragraphs(sentences)]
    if items:
        bullets = "".join(f"<li>{html.escape(item, quote=False)}</li>" for item in items)
        paragraphs.insert(1, f"<ul>{bullets}</ul>")
    return parts + paragraphs


def article_html(task: TaskInput) -> str:
    """Sanitised article HTML of exactly `task.target_word_count` words.

    An intro, each outline heading as an <h2> with its paragraphs (sometimes a list), and a
    closing paragraph; headings count towards the total.
    """
    topic = topic_of(task.target_keywords, task.title)
    headings = task.outline or outline_for(
        task.content_structure, topic, seeded_rng("outline", task.title)
    )
    writer = _Writer(task, headings)
    budget = task.target_word_count - sum(word_count(h) for h in headings)
    parts_count = len(headings) + 2
    if budget < parts_count:
        raise ProviderError(
            f"A {task.target_word_count}-word article cannot hold {len(headings)} headings; "
            "raise the target word count or shorten the outline."
        )
    shares = _shares(
        budget, [INTRO_SHARE, *[1.0 / len(headings)] * len(headings), CONCLUSION_SHARE]
    )
    intro = writer.fill(
        shares[0], [writer.pick(_INTRO_OPENERS), writer.pick(_INTRO_MAPS)], writer.body
    )
    blocks = [_p(text) for text in writer.paragraphs(intro)]
    for heading, share in zip(headings, shares[1:-1], strict=True):
        blocks += _section(writer, heading, share)
    closing = writer.fill(shares[-1], [writer.pick(_CONCLUSION_OPENERS)], writer.conclusion)
    blocks.append(_p(" ".join(closing)))
    return sanitize_html("\n".join(blocks))


def _clip(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:-\u2013\u2014")


def meta_description(task: TaskInput) -> str:
    """A 120 to 160 character summary built from the keyword, outline and site."""
    keyword = task.target_keywords[0] if task.target_keywords else task.title
    covers = " and ".join(heading.lower().rstrip("?.!") for heading in task.outline[:2])
    sentences = [
        f"A practical {task.content_type or 'guide'} on {keyword}.",
        f"Covers {covers}." if covers else "",
        "Clear steps, honest trade-offs and tips you can put to use today.",
        f"Written for readers of {task.site_name or 'our site'} who want results.",
        "Read on to find what works and what to skip.",
        "Practical, honest and easy to follow.",
        "Start today.",
    ]
    text = ""
    for sentence in filter(None, sentences):
        longer = f"{text} {sentence}".strip()
        if len(longer) <= META_DESCRIPTION_MAX_CHARS:
            text = longer
        if len(text) >= META_DESCRIPTION_MIN_CHARS:
            return text
    return _clip(" ".join(filter(None, sentences)), META_DESCRIPTION_MAX_CHARS - 3) + "..."


def write_article(task: TaskInput) -> ArticleDraft:
    return ArticleDraft(
        title=task.title[:300],
        html=article_html(task),
        meta_title=_clip(task.title, META_TITLE_MAX_CHARS),
        meta_description=meta_description(task),
    )


# ----- image prompts -----

_STYLES = (
    "Editorial photograph",
    "Soft watercolor illustration",
    "Clean flat vector illustration",
    "Overhead flat-lay photograph",
    "Close-up macro photograph",
    "Bright lifestyle photograph",
)
_COMPOSITIONS = (
    "wide shot with the subject on the left third",
    "centered composition with shallow depth of field",
    "overhead view with generous negative space",
    "close-up with a softly blurred background",
    "eye-level view with natural leading lines",
)
_LIGHTING = (
    "soft natural morning light",
    "warm golden-hour light",
    "bright diffused daylight",
    "gentle window light",
)


def image_prompts(content: ContentInput, count: int) -> list[ImagePromptDraft]:
    """A featured prompt for the whole article, then one per H2 heading in order (cycling)."""
    topic = topic_of(content.keywords, content.title)
    rng = seeded_rng("prompts", content.title, content.headings, content.keywords)
    featured = (
        f"Wide hero image, {rng.choice(_STYLES).lower()} of {topic} for the article "
        f"\u201c{content.title}\u201d; {rng.choice(_COMPOSITIONS)}; {rng.choice(_LIGHTING)}; "
        "landscape 16:9, no text or logos."
    )
    prompts = [ImagePromptDraft(kind="featured", prompt=featured)]
    sections = content.headings or [f"{title_case(k)}" for k in content.keywords] or [topic]
    for position in range(1, count):
        heading = sections[(position - 1) % len(sections)]
        prompt = (
            f"{rng.choice(_STYLES)} illustrating \u201c{heading}\u201d in an article about "
            f"{topic}; {rng.choice(_COMPOSITIONS)}; {rng.choice(_LIGHTING)}; no text or logos."
        )
        prompts.append(ImagePromptDraft(kind="in_article", prompt=prompt))
    return prompts
