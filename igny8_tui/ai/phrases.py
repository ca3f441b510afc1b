"""The wording the offline provider writes with: idea plans, outlines, sentences, image styles."""

from __future__ import annotations

from dataclasses import dataclass

from igny8_tui.ai.outputs import Intent

# ----- ideas -----


@dataclass(frozen=True)
class IdeaPlan:
    """One kind of article: a title pattern over the subject {T}, its type, structure and pitch.

    {N} in a title is the number of headings in the idea's outline.
    """

    title: str
    content_type: str
    content_structure: str
    pitch: str


IDEA_PLANS: dict[Intent, tuple[IdeaPlan, ...]] = {
    "informational": (
        IdeaPlan(
            "How to Get Started with {T}: A Step-by-Step Guide",
            "guide",
            "how-to",
            "A hands-on walkthrough that takes beginners from first decisions to first results.",
        ),
        IdeaPlan(
            "{T}: The Complete Beginner's Guide",
            "guide",
            "guide",
            "An all-in-one guide that explains the essentials, the tools and the common pitfalls.",
        ),
        IdeaPlan(
            "{T} Explained: What You Need to Know",
            "post",
            "explainer",
            "A clear explainer that answers the basic questions and clears up common myths.",
        ),
        IdeaPlan(
            "{N} Practical Tips for {T}",
            "listicle",
            "listicle",
            "A scannable list of practical tips readers can apply straight away.",
        ),
        IdeaPlan(
            "Common Mistakes with {T} and How to Avoid Them",
            "post",
            "listicle",
            "A troubleshooting list of the mistakes people make most and how to fix each one.",
        ),
        IdeaPlan(
            "{T}: Your Questions Answered",
            "post",
            "faq",
            "A question-and-answer article covering what readers most often ask.",
        ),
    ),
    "commercial": (
        IdeaPlan(
            "The Best {T}: Top Picks Compared",
            "listicle",
            "listicle",
            "A ranked round-up of the best options, with the pick for each kind of buyer.",
        ),
        IdeaPlan(
            "{T} Compared: Which Option Is Right for You?",
            "comparison",
            "comparison",
            "A side-by-side comparison of the main options on cost, quality and ease of use.",
        ),
        IdeaPlan(
            "{T} Review: Is It Worth It?",
            "review",
            "review",
            "An honest review weighing strengths, weaknesses and value for money.",
        ),
        IdeaPlan(
            "Best {T} for Beginners and Every Budget",
            "listicle",
            "listicle",
            "A shortlist of recommendations grouped by budget and experience level.",
        ),
        IdeaPlan(
            "{T} Buyer's Checklist: What Separates the Best from the Rest",
            "guide",
            "guide",
            "A checklist of the features and quality signs that matter before choosing.",
        ),
        IdeaPlan(
            "Top-Rated {T} Alternatives Worth Considering",
            "listicle",
            "comparison",
            "A look at the strongest alternatives and when each one makes more sense.",
        ),
    ),
    "transactional": (
        IdeaPlan(
            "{T} Buying Guide: What to Look for Before You Buy",
            "guide",
            "buying-guide",
            "A buying guide that helps ready-to-buy readers choose well and avoid regret.",
        ),
        IdeaPlan(
            "The Cost of {T}: A Clear Price Breakdown",
            "post",
            "pricing",
            "A price breakdown with typical ranges, hidden costs and ways to save.",
        ),
        IdeaPlan(
            "{T} Deals: How to Get the Best Value",
            "post",
            "deals",
            "Practical advice on finding genuine deals and spotting poor offers.",
        ),
        IdeaPlan(
            "Where to Buy {T}: Online and Local Options",
            "guide",
            "buying-guide",
            "A guide to the places worth buying from and what each does best.",
        ),
        IdeaPlan(
            "{T} on a Budget: Affordable Options That Work",
            "listicle",
            "listicle",
            "A list of affordable choices that still deliver good results.",
        ),
    ),
    "navigational": (
        IdeaPlan(
            "{T}: An Overview",
            "page",
            "overview",
            "An overview page that orients readers and points them to the right resources.",
        ),
        IdeaPlan(
            "{T} at a Glance: Key Facts and Resources",
            "page",
            "overview",
            "A quick reference with the key facts, links and next steps in one place.",
        ),
        IdeaPlan(
            "{T} Resource Hub: Guides, Tools and Answers",
            "page",
            "hub",
            "A hub page gathering the most useful guides and answers on the subject.",
        ),
        IdeaPlan(
            "Getting the Most from {T}: A Quick Tour",
            "post",
            "overview",
            "A short tour of what is available and how to make the most of it.",
        ),
    ),
}

# ----- outlines -----

# A heading starting with this becomes "Step N: ...".
STEP_MARKER = "#"
# Seven candidate headings per structure; the first and last are always kept. "#" marks a step.
OUTLINES: dict[str, tuple[str, ...]] = {
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


# ----- articles -----

# Slots the article writer fills: {kw} (one of the target keywords), {topic}, {title}, {site},
# {kind} (the content type), {first} and {last} (outline headings), {heading} (section openers).
INTRO_OPENERS = (
    "If you have been searching for “{kw}”, you are in the right place.",
    "Few subjects cause as much confusion as {topic}, yet the essentials are easy to learn.",
    "Getting the details of {topic} right makes a real difference, and this {kind} shows you how.",
    "Whether you are just starting out or refining what you already do, it pays to understand "
    "{topic} properly.",
)
INTRO_MAPS = (
    "This {kind} covers everything from “{first}” to “{last}”.",
    "Below, we move from “{first}” through to “{last}”, one step at a time.",
    "We start with “{first}” and finish with “{last}”, so you can jump to whatever you need.",
)
SECTION_OPENERS = (
    "The idea behind “{heading}” is simple: get the fundamentals right and the rest follows.",
    "When it comes to {topic}, “{heading}” is where many people either succeed or stall.",
    "Let us look at “{heading}” in practical terms.",
    "“{heading}” deserves a closer look, especially if {topic} is new to you.",
    "Before going further, it helps to be clear about what “{heading}” means for you.",
    "This part of the {kind} focuses on “{heading}” and what it changes in practice.",
)
BODY_SENTENCES = (
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
COMMERCIAL_SENTENCES = (
    "Compare at least two or three options before you decide.",
    "Price is only part of the story; durability and support matter just as much.",
    "Reviews are most useful when they come from people with needs similar to yours.",
    "The most popular choice is not always the best fit for your situation.",
    "Look closely at what is included, since extras can change the real value of an option.",
    "A slightly higher upfront cost can pay for itself if the option lasts longer.",
    "Shoppers comparing options for “{kw}” should look past the headline price.",
)
TRANSACTIONAL_SENTENCES = (
    "Check delivery times and return policies before you place an order.",
    "Prices for “{kw}” can vary a lot between sellers, so it pays to shop around.",
    "Set a budget first, then look for the best option within it.",
    "Bundles can be good value, but only if you will use everything in them.",
    "Seasonal sales are often the best time to buy.",
    "Keep receipts and warranty details together in case you need them later.",
)
LIST_ITEMS = (
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
CONCLUSION_OPENERS = (
    "In short, success with {topic} comes down to patience and a clear plan.",
    "All in all, the key to {topic} is to start simple and improve step by step.",
    "To sum up, {topic} is far less daunting once you know where to focus.",
)
CONCLUSION_SENTENCES = (
    "Use the sections above as a checklist, and come back to them whenever you need a refresher.",
    "Whether you are just starting or refining an existing setup, the same principles apply.",
    "Pick one idea from this {kind} and put it into practice this week.",
    "For more practical guides, explore the rest of {site}.",
)
# Short sentences of every length from one to twelve words, to land on an exact word count.
FILLERS_BY_WORD_COUNT: dict[int, tuple[str, ...]] = {
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


# ----- image prompts -----

IMAGE_STYLES = (
    "Editorial photograph",
    "Soft watercolor illustration",
    "Clean flat vector illustration",
    "Overhead flat-lay photograph",
    "Close-up macro photograph",
    "Bright lifestyle photograph",
)
IMAGE_COMPOSITIONS = (
    "wide shot with the subject on the left third",
    "centered composition with shallow depth of field",
    "overhead view with generous negative space",
    "close-up with a softly blurred background",
    "eye-level view with natural leading lines",
)
IMAGE_LIGHTING = (
    "soft natural morning light",
    "warm golden-hour light",
    "bright diffused daylight",
    "gentle window light",
)
