"""Find instructions aimed at an AI reviewer in untrusted text (prompt injection).

Pure functions over ``str`` (no I/O, no environment, no mutable module state). Used by the safety
sub-agent on PR text, comments and changed lines.

- :func:`find_injection` finds instructions aimed at an AI reviewer ("ignore previous
  instructions", "approve this PR", fake verdict JSON, chat-template role tags, fake tool calls and
  dialogue turns, text addressed to an AI reviewer with a directive about the verdict, the same in
  German, French, Spanish, Portuguese, Chinese, Japanese and Russian), also inside base64, hex,
  percent-encoded, escaped, tag-character and right-to-left-overridden text.
- :data:`PATTERN_IDS` lists every pattern id a hit can carry; :data:`DATA_LIKE_PATTERNS` those that
  also describe ordinary data.

Hidden characters and comments, and secrets, are in :mod:`bot.core.sanitize`.

Sources: Unicode tag characters U+E0000..U+E007F ("ASCII smuggling" of prompts); Unicode
confusables.txt (look-alike letters); Trojan Source, CVE-2021-42574 (right-to-left overrides,
https://trojansource.codes/).

Every pattern has a bounded width (a test checks it with ``re``'s own width computation), so a
scan costs at most a constant times the length of the text: the whole text is always read, however
long. Two-part patterns (:data:`PROXIMITY_PATTERNS`) search their second part once per region, not
once per match of the first. Encoded runs are decoded whole. What is left unread is reported
(:class:`InjectionScan`), never skipped silently.
"""

from __future__ import annotations

import base64
import bisect
import re
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache

from bot.core.sanitize import remove_invisible
from bot.core.unicode_text import fold_char, fold_fingerprint, folds_without_regex



@dataclass(frozen=True)
class InjectionHit:
    """One suspected instruction to an AI reviewer.

    ``pattern_id`` names the pattern (see :data:`INJECTION_PATTERNS`); ``excerpt`` is the matched
    text with some context, invisible characters removed, whitespace collapsed, at most 200
    characters; ``offset`` is the match start in the *original* text.
    """

    pattern_id: str
    excerpt: str
    offset: int


_W = r"[ \t\r\n]{1,10}"  # bounded whitespace between words
_OW = r"[ \t\r\n]{0,10}"  # optional bounded whitespace
_PR = r"(?:pr|pull[ \t\r\n]{1,5}request|merge[ \t\r\n]{1,5}request|mr|change(?:set|s)?|patch|diff|commit|code)"
_BOTNOUN = r"(?:reviewers?|assistants?|agents?|models?|bots?|llms?|ais?)"

_ENGLISH_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # (pattern_id, trigger substrings, regex). Regexes are written in lower case and matched
    # against lower-cased, normalized text; a regex runs only when one of its triggers occurs (in
    # that text with whitespace runs squeezed to one space).
    ("ignore_previous", ("ignore", "disregard", "forget", "override", "bypass"),
     rf"\b(?:ignore|disregard|forget|override|bypass)(?:{_W}(?:all|any|of|the|your|my|every|these|those)){{0,3}}"
     rf"{_W}(?:previous|prior|above|earlier|preceding|former|system|original|existing)"
     rf"{_W}(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|context|commands?|orders)\b"),
    ("ignore_above", ("ignore", "disregard", "forget"),
     rf"\b(?:ignore|disregard|forget){_W}(?:everything|all|anything){_W}(?:above|before|said|prior)\b"),
    ("new_instructions", ("instruction",),
     rf"\b(?:new|updated|revised|real|actual|true){_W}(?:system{_W})?instructions?{_OW}:"),
    ("you_are_now", ("now",),
     rf"\byou{_W}are{_W}now{_W}(?:(?:a|an|the|my){_W}[^\n]{{0,40}}?\b(?:{_BOTNOUN}|gpt|dan|assistant)\b"
     rf"|(?:in{_W})?(?:developer|dev|admin|god|dan|jailbreak|jailbroken|unrestricted|debug){_W}mode\b"
     rf"|(?:dan|unrestricted|jailbroken|free{_W}of)\b)"),
    ("from_now_on", ("now",), rf"\bfrom{_W}now{_W}on,?{_W}you{_W}(?:are|will|must|shall|should)\b"),
    ("as_an_ai", ("ai", "llm", "intelligence", "language"),
     rf"\bas{_W}an?{_W}(?:ai|llm|artificial{_W}intelligence|(?:large{_W})?language{_W}model)\b"),
    ("system_prompt", ("prompt",),
     rf"\b(?:ignore|override|reveal|print|repeat|show|leak|replace|update|disregard|new|updated|your)"
     rf"(?:{_W}(?:the|your|new|original)){{0,2}}{_W}system{_W}prompts?\b"
     rf"|\bsystem{_W}prompt{_OW}(?:override|update)?{_OW}:"),
    ("approve_pr", ("approve", "accept", "merge", "lgtm"),
     rf"\b(?:approve|accept|merge|lgtm){_W}(?:this|my|our){_W}(?:{_PR})\b"
     rf"|\b(?:please|kindly|just|simply|now|must|should|shall){_OW}[,:]?{_OW}(?:approve|accept|merge|lgtm)"
     rf"{_W}the{_W}(?:{_PR})\b"),
    ("lgtm_approve", ("lgtm",), rf"\blgtm[ \t.,!:;-]{{0,5}}(?:approve|approved|ship{_W}it|merge)\b"),
    ("do_not_flag", ("flag", "report"),
     rf"\b(?:do{_W}not|don'?t|never|must{_W}not|should{_W}not)(?:{_W}(?:flag|report|mention|comment{_W}on|warn{_W}about|raise))"
     rf"{_W}(?:this|these|that|it|any(?:thing)?|the)\b[^\n]{{0,40}}?\b(?:issues?|vulnerabilit(?:y|ies)|findings?|problems?|"
     rf"secrets?|security|risks?|concerns?|as{_W}(?:a{_W})?(?:bug|issue|problem|vulnerability|unsafe|dangerous|suspicious))\b"
     rf"|\b(?:{_BOTNOUN}|quorum)\b[^\n]{{0,30}}?\b(?:do{_W}not|don'?t|never|should{_W}not|must{_W}not){_W}(?:flag|report)\b"),
    ("mark_safe", ("safe", "secure", "clean", "approved", "passing", "benign", "harmless", "risk", "trusted", "verified"),
     rf"\b(?:mark|treat|consider|classify|label|rate|score)(?:{_W}(?:this|it|the|these)){{1,2}}"
     rf"(?:{_W}(?:{_PR}|file|function|changes?))?"
     rf"{_W}as{_W}(?:safe|secure|clean|approved|passing|benign|harmless|low[ -]risk|trusted|verified)\b"
     # not "mark it as safe by using the Markup class" (HTML escaping docs)
     rf"(?!{_OW},?{_OW}(?:by{_W}(?:using|calling|wrapping|passing)|using|with{_W}(?:the{_W})?[`:~]|via)\b)"),
    ("pre_approved", ("approved", "reviewed", "vetted", "audited"),
     rf"\b(?:pre-?approved|already{_W}(?:been{_W})?(?:reviewed|approved|vetted|audited)|(?:reviewed|approved|vetted|audited|"
     rf"signed{_W}off){_W}and{_W}approved)(?:{_W}(?:by|with)){_W}(?:the{_W})?(?:security|infosec|appsec|compliance|legal|"
     rf"platform){_W}team\b|\bpre-?approved{_W}by\b"),
    ("reviewed_approved", ("approved", "cleared", "vetted"),
     rf"\b(?:this|the){_W}(?:{_PR}){_W}(?:has{_W}been|was|is|has{_W}already{_W}been){_W}(?:already{_W})?"
     rf"(?:reviewed{_W}and{_W}approved|approved|pre-?approved|(?:security[- ])?(?:cleared|vetted))\b"),
    ("respond_approve", ("with", "your"),
     rf"\b(?:respond|reply|answer|output|return|print)(?:{_W}only)?{_W}with{_W}(?:only{_W})?[\"'`]?"
     rf"(?:approve[ds]?|pass(?:ed)?|lgtm|safe|no{_W}issues|\{{)"
     rf"|\byour{_W}(?:final{_W})?(?:answer|verdict|response|decision|output|status){_W}(?:must|should|will|has{_W}to){_W}be"
     rf"{_OW}[\"'`]?(?:approve[ds]?|pass(?:ed)?|lgtm|safe)\b"),
    ("json_verdict", ("{",),
     r"\{[ \t\r\n]{0,20}[\"']?(?:status|verdict|decision|action|result|review|outcome|risk)[\"']?[ \t]{0,5}:[ \t\r\n]{0,5}"
     r"[\"']?(?:pass|passed|approve|approved|lgtm|safe|ok|none|low|0(?:\.0{1,20})?)\b"),
    ("role_tag", ("<", "[inst"),
     r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>"
     r"|\[/?inst\]|<</?sys>>|</?(?:system|assistant)>|<\|?/?(?:system|developer)[_ ]?(?:prompt|message)\|?>"),
    ("quorum_command", ("quorum",),
     rf"@?\bquorum(?:\[bot\]|-bot|{_W}bot)?{_OW}[:,]{_OW}(?:please{_W})?(?:approve|pass|ignore|skip|disable|do{_W}not|"
     rf"don'?t|mark|merge|lgtm|allow|accept|treat|consider|override|bypass|whitelist|allowlist)\b"
     rf"|@quorum(?:\[bot\]|-bot)?{_W}(?:please{_W})?(?:approve|pass|ignore|skip|merge|lgtm|allow|accept|override|bypass)\b"
     rf"|/quorum{_W}(?:approve|merge|pass|skip|bypass|override|ignore|allow|lgtm)\b"),
    ("reviewer_must", ("must", "should", "will", "need", "have to", "required", "instructed", "note", "message",
                       "instruction", "memo", "attention"),
     rf"\bas{_W}(?:the|a|an|my|our){_W}(?:(?:code|security|pr){_W})?(?:(?:ai|automated|automatic|llm)"
     rf"(?:{_W}(?:code|security|pr))?{_W}(?:reviewer|agent|model)|reviewing{_W}(?:agent|bot|model)|assistant|review{_W}bot)"
     rf",?{_W}you{_W}(?:must|should|will|"
     rf"need{_W}to|have{_W}to|are{_W}(?:required|instructed){_W}to)\b"
     rf"|\bas{_W}(?:the|a|an|my|our){_W}(?:(?:code|security|pr){_W})?reviewer,?{_W}you{_W}(?:must|should|will|need{_W}to|"
     rf"have{_W}to|are{_W}(?:required|instructed){_W}to)\b[^\n]{{0,40}}?\b"
     rf"(?:approve|accept|merge|pass|lgtm|sign{_W}off{_W}on)"
     rf"{_W}(?:it|this)\b"
     rf"|\b(?:note|message|instructions?|memo|attention)(?:{_W}(?:to|for)){_W}(?:any{_W}|the{_W}|all{_W})?"
     rf"(?:ai|llm|automated|automatic)(?:{_W}code)?{_W}{_BOTNOUN}"),
)

_AI_NOUN = (
    r"(?:(?:ai|llm|gpt|automated|automatic|autonomous|robot|machine)(?:[ -](?:code|pr|pull[ -]request|security))?"
    r"[ -](?:reviewers?|review(?:ing)?[ -](?:bots?|agents?|tools?|systems?|assistants?)|assistants?|agents?|models?|bots?)"
    r"|(?:reviewer|review|code[ -]review|pr[ -]review|security|coding|ai|llm)[ -](?:bots?|agents?|assistants?|models?)"
    r"|llms?|(?:large[ -])?language[ -]models?|chat[ -]?bots?|ai|copilot|chatgpt|claude|gemini|quorum(?:\[bot\]|-bot)?)"
)
"""A noun phrase naming an automated reviewer ("AI reviewer", "reviewer bots", "LLM", ...); a
plain "reviewer" (often a human) is not one."""

_OBJ = (
    rf"(?:approv\w{{0,5}}|confirm\w{{0,3}}|accept{_W}(?:it|this|the)|lgtm|green|verdict|sign{_W}off|merge{_W}(?:it|this)"
    rf"|(?:no|zero|any|these|those|the|all){_W}(?:issues|findings|problems|concerns|vulnerabilit(?:y|ies)|warnings|risks)"
    rf"|security|vulnerabilit(?:y|ies)|safe|clean|secure|harmless|benign|flag\w{{0,3}}|report\w{{0,3}}"
    rf"|pass(?:ed|ing)?{_W}(?:it|this|the{_W}(?:review|check|pr|change))|(?:pass|approved?|ok)[\"'`])\b"
)
"""What a directive to the reviewer is about: the verdict, approval, findings or security."""

_DIRECTIVE = (
    rf"\byour{_W}(?:(?:only|sole|main|real|actual|one|primary|final|entire|whole){_W})?"
    rf"(?:(?:answer|verdict|response|output|decision|reply|assessment|conclusion)\b"
    rf"|(?:task|job|role|mission|purpose|goal|instructions?)\b[^\n]{{0,100}}?\b{_OBJ})"
    rf"|\byou{_W}(?:must|should|shall|will|need{_W}to|have{_W}to|are{_W}(?:required|expected|instructed|asked|supposed|"
    rf"told|only{_W}allowed){_W}to|may{_W}only|can{_W}only|only{_W}need{_W}to|are{_W}to)\b[^\n]{{0,80}}?\b{_OBJ}"
    rf"|(?:^|[\n:;,.!?-]|\bplease|\bkindly|\bjust|\bsimply)[ \t]{{0,5}}"
    rf"(?:(?:approve|confirm|accept|greenlight|green-light|sign{_W}off|lgtm)\b"
    rf"|(?:skip|overlook|disregard|ignore|trust|merge|mark|treat|consider|respond|reply|return|output|answer|say|"
    rf"do{_W}not|don'?t|never)\b[^\n]{{0,80}}?\b{_OBJ})"
)
"""A directive about the verdict: "your (only) task/answer/verdict ...", "you must ... approve",
or an imperative ("confirm", "do not flag ... issues")."""

_TOOLNAME = (
    r"(?:[\w-]{1,40}[._-])?(?:approve|approval|merge|submit[_-]?review|submit[_-]?verdict|set[_-]?status|set[_-]?verdict|"
    r"set[_-]?decision|create[_-]?review|post[_-]?review|review[_-]?pr|mark[_-]?safe|lgtm|pass[_-]?review|finish[_-]?review|"
    r"complete[_-]?review|final[_-]?answer|dismiss[_-]?review)[\w.-]{0,40}"
)
"""A tool (function) name that would approve, merge, or submit or set a review verdict."""

_LINE_START = r"\n[ \t]{0,40}(?:[>#*/;!_-]{1,4}[ \t]{0,4})?(?:\*\*|__)?"
"""The start of a line, its indentation and a comment or quote marker. :func:`find_injection` puts
a newline before the text, so a literal ``\\n`` (fast to search for) also matches on the first line."""

_VERDICT_WORD = (
    rf"\b(?:verdict|approve[ds]?|lgtm|no{_W}(?:issues|findings|problems|concerns|vulnerabilities)"
    rf"|safe{_W}to{_W}merge|ship{_W}it|looks{_W}good{_W}to{_W}me)\b"
)

_STRUCTURAL_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("decode_and_follow", ("decode", "unescape", "decipher", "decrypt", "reverse", "unscramble", "translate"),
     rf"\b(?:decode|base64[ -]?decode|unescape|decipher|decrypt|reverse|unscramble|translate)"
     rf"{_W}(?:this|these|it|below|the{_W}following"
     rf"|the{_W}(?:string|text|blob|message|payload|line|instructions?)(?:{_W}below)?)"
     rf"[^\n]{{0,40}}?\b(?:and|then)[ \t,]{{1,5}}(?:then{_W})?"
     rf"(?:follow|obey|comply{_W}with|carry{_W}out|act{_W}on|do{_W}(?:what|as))"
     rf"(?:{_W}(?:it|them|this|that|these|the{_W}instructions?|its{_W}instructions?|what{_W}it{_W}says)\b|\b)"),
    ("tool_call", ("tool", "function", "invoke", "python_tag"),
     rf"(?:<\|?/?(?:tool_calls?|tool_use|function_calls?|function|invoke|tool_code|python_tag|tool_calls?_begin)\b"
     rf"|\[tool_calls?\])"
     rf"[\s\S]{{0,400}}?[\"'=>(:][ \t]{{0,5}}(?:functions\.)?{_TOOLNAME}(?=[\"'<(),\s>])"
     rf"|\"(?:name|tool|tool_name|function|function_name|recipient_name|call)\"{_OW}:{_OW}\"(?:functions\.)?{_TOOLNAME}\""
     rf"[^\n]{{0,200}}?\"(?:arguments|parameters|params|input|args)\"{_OW}:"),
    ("fake_transcript", ("assistant", "ai", "system", "bot", "gpt", "claude", "llm", "copilot", "quorum"),
     rf"{_LINE_START}(?P<at>(?:assistant|ai|system|bot|gpt|chatgpt|claude|llm|copilot|quorum)"
     rf"(?:[ \t]?\[bot\])?)[ \t*_]{{0,3}}:[^\n]{{0,160}}?{_VERDICT_WORD}"),
    ("chat_transcript", ("human", "user"),
     rf"{_LINE_START}(?P<at>human|user)[ \t*_]{{0,3}}:[^\n]{{0,300}}(?:\n[^\n]{{0,300}}){{0,6}}?"
     rf"{_LINE_START}(?:assistant|ai|gpt|chatgpt|claude)[ \t*_]{{0,3}}:"),
    ("you_are_ai", ("you are", "you're"),
     rf"\byou(?:{_W}are|'re)"
     rf"(?:{_W}(?:now|actually|really|acting{_W}as|playing|an?|the|my|our|only|just|simply|hereby)){{1,3}}"
     rf"(?:{_W}(?:helpful|harmless|honest|automated|automatic|ai|llm|gpt|code|security|pr|senior|expert|strict|diligent|"
     rf"friendly|smart|review|reviewing)){{0,3}}"
     rf"{_W}(?:(?:ai|llm|automated|automatic|gpt)(?:{_W}(?:code|security|pr))?{_W}(?:reviewer|agent|model|assistant)"
     rf"|ai|llm|(?:large{_W})?language{_W}model|assistant|chat{_OW}bot|review{_W}bot|bot)"
     rf"(?=[ \t]{{0,3}}(?:[.,;:!)\n]|$|that\b|who\b|which\b|and\b|with\b|for\b|named\b|called\b|tasked\b|whose\b|"
     rf"reviewing\b|in{_W}charge\b))"),
)
"""Structural patterns (see :data:`INJECTION_PATTERNS`): an instruction addressed to an AI reviewer
about the verdict, "decode this and follow it", fake tool calls naming an approve/merge/review tool,
fake dialogue turns ("Assistant: Verdict: APPROVE", ``Human:`` ... ``Assistant:``), and role
statements ("you are an AI code reviewer"). A named group ``at`` marks where a hit starts when the
match begins with a line prefix (``# ``, ``> ``)."""

_AP = r"[ \t\r\n'’]{1,10}"  # whitespace or an elided article's apostrophe (French d', l', qu')

PROXIMITY_PATTERNS: tuple[tuple[str, tuple[str, ...], str, str, int], ...] = (
    # (pattern_id, triggers, first regex, second regex, window): a hit when the second regex
    # matches within ``window`` characters after the end of a match of the first, in the same
    # paragraph. Text addressed to an automated reviewer followed by a directive about the verdict
    # catches paraphrases that avoid the trigger phrases of the other patterns.
    ("addressed_directive", ("dear ", "hey ", "hi ", "hello ", "greetings", "attention", "attn", "note to", "note for",
                             "message to", "message for", "memo to", "memo for", "reminder to", "reminder for",
                             "instruction to", "instruction for", "instructions to", "instructions for"),
     rf"\b(?:dear|hey|hi|hello|greetings|attention|attn|(?:note|message|memo|reminder|instructions?){_W}(?:to|for))"
     rf"{_W}(?:(?:the|any|all|every|our|you){_W})?{_AI_NOUN}\b", _DIRECTIVE, 300),
    ("addressed_directive", ("ai", "llm", "bot", "assistant", "model", "agent", "copilot", "gpt", "claude", "gemini",
                             "quorum"),
     rf"{_LINE_START}(?P<at>{_AI_NOUN})[ \t]{{0,3}}[:,]", _DIRECTIVE, 300),
    ("addressed_directive", ("if you are", "if you're"),
     rf"\bif{_W}you(?:'re|{_W}are){_W}(?:(?:an?|the){_W})?{_AI_NOUN}\b", _DIRECTIVE, 300),
)
"""Two-part patterns, matched in linear time: the second regex is searched once per region of the
text rather than once per match of the first (see :func:`_find`)."""

_INTL_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # "Ignore (all) previous instructions", "approve this pull request" and "you are an AI reviewer"
    # in German, French, Spanish, Portuguese, Chinese (simplified and traditional), Japanese and
    # Russian. Written with accents and Cyrillic as spelled; :func:`_fold_pattern` folds them like
    # the text (accents dropped, Cyrillic look-alikes mapped to Latin).
    # German
    ("ignore_previous_intl", ("ignorier", "vergiss", "vergesst", "vergessen", "missacht", "übergeh", "verwirf"),
     rf"\b(?:ignoriere|ignorier|ignoriert|ignorieren{_W}sie|vergiss|vergesst|vergessen{_W}sie|missachte|missachtet|"
     rf"missachten{_W}sie|übergehe|übergeht|verwirf)(?:{_W}(?:alle|alles|sämtliche|die|deine|ihre|eure|bisher|zuvor|vorher|"
     rf"gegebenen|erhaltenen)){{0,3}}{_W}(?:(?:vorherigen?|vorigen?|bisherigen?|früheren?|obigen?|vorangegangenen?|"
     rf"vorstehenden?|ursprünglichen?|alten){_W})?(?:system)?(?:anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|"
     rf"anordnungen|richtlinien|prompts?)\b"),
    ("approve_pr_intl", ("genehmig", "akzeptier", "bestätig", "merge den", "merge die", "merge das", "merge mein",
                         "merge unser", "merge bitte", "merge jetzt", "merge sofort", "merge einfach", "merge direkt",
                         "merget", "freigeb", "durchwink", "approven", "mergen"),
     rf"\b(?:genehmige|genehmigt|genehmigen{_W}sie|akzeptiere|akzeptiert|akzeptieren{_W}sie|bestätige|bestätigt|"
     rf"bestätigen{_W}sie|merge|merget)(?:{_W}(?:bitte|jetzt|sofort|einfach|direkt)){{0,2}}{_W}(?:diesen|diese|dieses|den|"
     rf"die|das|meinen|meine|unseren|unsere)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|merge[ -]?request|mr|"
     rf"änderung(?:en)?|patch|commit)\b"
     rf"|\b(?:diesen|diese|dieses|den|die|das)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|merge[ -]?request|"
     rf"änderung(?:en)?)(?:{_W}[\w-]{{1,20}}){{0,2}}?"
     rf"{_W}(?:genehmigen|freigeben|akzeptieren|durchwinken|approven|mergen)\b"),
    ("you_are_ai", ("du bist", "sie sind", "ihr seid"),
     rf"\b(?:du{_W}bist|sie{_W}sind|ihr{_W}seid)(?:{_W}(?:jetzt|nun|ab{_W}sofort|ein|eine|der|die|das|hilfreicher?|"
     rf"automatisierter?|automatischer?)){{0,3}}{_W}(?:ki|ai|llm|sprachmodell|ki-[\w-]{{1,20}}|ai-[\w-]{{1,20}}|"
     rf"assistent(?:in)?|code-?reviewer-?bot|reviewer-?bot|chatbot|bot)\b"),
    # French
    ("ignore_previous_intl", ("précédent", "antérieur", "ci-dessus", "préalable", "d'avant", "d’avant", "initiale",
                              "originale", "système", "données"),
     rf"\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|néglige|négligez|ne{_W}(?:tiens|tenez|tenir){_W}(?:pas|plus)"
     rf"{_W}compte|fais{_W}abstraction|faites{_W}abstraction)(?:{_AP}(?:de|des|du|d|toutes|toute|tous|les|la|le|l|tes|vos|"
     rf"ces|ensemble)){{0,4}}{_AP}(?:instructions?|consignes?|directives?|règles|ordres|indications|commandes|prompts?)"
     rf"{_W}(?:qui{_W}précèdent|précédentes?|antérieures?|ci-dessus|préalables?|d['’]avant|initiales?|originales?|"
     rf"(?:du|de){_W}système|système|données{_W}(?:précédemment|auparavant|avant))"),
    ("approve_pr_intl", ("approuv", "accepte ", "acceptez", "accepter ", "fusionn", "mergez"),
     rf"\b(?:approuve|approuvez|approuver|accepte|acceptez|accepter|fusionne|fusionnez|fusionner|mergez)"
     rf"(?:{_W}(?:donc|simplement|directement|immédiatement|sans{_W}commentaire)){{0,2}}{_W}(?:cette|ce|cet|la|le|ma|mon|"
     rf"notre|votre)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|demande{_W}de{_W}(?:fusion|tirage|pull|merge)|"
     rf"merge[ -]?request|modifications?|changements?|patch|commit|correctif)\b"),
    ("you_are_ai", ("tu es", "vous êtes", "en tant qu"),
     rf"\b(?:tu{_W}es|vous{_W}êtes|en{_W}tant{_W}qu['’ ]{{0,2}})(?:{_W}(?:maintenant|désormais|un|une|le|la)){{0,2}}"
     rf"[ \t]{{0,10}}(?:ia|llm|assistante?(?:{_W}ia)?|modèle{_W}de{_W}langage|intelligence{_W}artificielle|"
     rf"(?:relecteur|réviseur)(?:{_W}de{_W}code)?{_W}(?:ia|automatique|automatisé)|chatbot|bot)\b"),
    # Spanish
    ("ignore_previous_intl", ("anteriores", "previas", "precedentes", "de arriba", "del sistema", "originales",
                              "iniciales", "dadas"),
     rf"\b(?:ignora|ignore|ignoren|ignorar|olvida|olvide|olviden|olvidar|descarta|descarte|descarten|omite|omita|omitan|"
     rf"pasa{_W}por{_W}alto|hagan?{_W}caso{_W}omiso|haz{_W}caso{_W}omiso|no{_W}(?:hagas|haga|hagan){_W}caso)"
     rf"(?:{_W}(?:de|a|todas|todos|las|los|tus|sus|esas|estas|mis|el|la)){{0,4}}{_W}(?:instrucciones|instrucción|"
     rf"indicaciones|órdenes|reglas|directivas|directrices|consignas|comandos|prompts?)(?:{_W}(?:anteriores|previas|"
     rf"precedentes|de{_W}arriba|del{_W}sistema|originales|iniciales|dadas))\b"),
    ("approve_pr_intl", ("aprue", "aprobar", "acepta", "acepte", "fusiona", "fusione", "mergea", "haz merge"),
     rf"\b(?:aprueba|apruebe|aprueben|aprobar|acepta|acepte|acepten|aceptar|fusiona|fusione|fusionen|fusionar|mergea|"
     rf"haz{_W}merge{_W}(?:de|a))(?:{_W}(?:ya|directamente|simplemente|sin{_W}comentarios)){{0,2}}{_W}(?:este|esta|ese|esa|"
     rf"el|la|mi|nuestro|nuestra)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|solicitud{_W}de{_W}(?:extracción|"
     rf"incorporación|fusión|cambios|pull)|merge[ -]?request|cambios?|parche|commit|código)\b"),
    ("you_are_ai", ("eres ", "usted es", "actúa como", "actúe como", "como ia", "como una ia", "como inteligencia"),
     rf"\b(?:eres|usted{_W}es|actúa{_W}como|actúe{_W}como)(?:{_W}(?:ahora|un|una|el|la)){{0,2}}{_W}(?:ia|llm|"
     rf"asistente(?:{_W}de{_W}ia)?|modelo{_W}de{_W}lenguaje|inteligencia{_W}artificial|revisor(?:{_W}de{_W}código)?"
     rf"{_W}(?:ia|automático|automatizado)|chatbot|bot)\b"
     rf"|\bcomo{_W}(?:una{_W})?(?:ia|inteligencia{_W}artificial)(?:{_W}que{_W}revisa|,)"),
    # Portuguese
    ("ignore_previous_intl", ("anteriores", "prévias", "precedentes", "acima", "do sistema", "originais", "iniciais",
                              "dadas"),
     rf"\b(?:ignore|ignora|ignorem|ignorar|esqueça|esquece|esqueçam|esquecer|desconsidere|desconsidera|desconsiderem|"
     rf"desconsiderar|descarte|descarta|descartem|descartar|despreze|despreza|desprezar)(?:{_W}(?:de|todas|todos|as|os|"
     rf"suas|tuas|seus|teus|essas|estas|minhas|a|o)){{0,4}}{_W}(?:instruções|instrução|orientações|ordens|regras|"
     rf"diretrizes|diretivas|comandos|prompts?)(?:{_W}(?:anteriores|prévias|precedentes|acima|do{_W}sistema|originais|"
     rf"iniciais|dadas))\b"),
    ("approve_pr_intl", ("aprov", "aceit", "mescl", "merge d"),
     rf"\b(?:aprove|aprova|aprovem|aprovar|aceite|aceita|aceitem|aceitar|mescle|mescla|mesclem|mesclar|"
     rf"faça{_W}(?:o{_W})?merge{_W}d[eoa])(?:{_W}(?:logo|diretamente|simplesmente|sem{_W}comentários)){{0,2}}{_W}"
     rf"(?:este|esta|esse|essa|o|a|meu|minha|nosso|nossa)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|"
     rf"solicitação{_W}de{_W}(?:pull|mesclagem|merge)|merge[ -]?request|alterações|alteração|mudanças?|patch|commit|"
     rf"código)\b"),
    ("you_are_ai", ("você é", "tu és", "vocês são", "atue como", "aja como"),
     rf"\b(?:você{_W}é|tu{_W}és|vocês{_W}são|atue{_W}como|aja{_W}como)(?:{_W}(?:agora|um|uma|o|a)){{0,2}}{_W}(?:ia|llm|"
     rf"assistente(?:{_W}de{_W}ia)?|modelo{_W}de{_W}linguagem|inteligência{_W}artificial|revisor(?:{_W}de{_W}código)?"
     rf"{_W}(?:ia|automático|automatizado)|chatbot|bot)\b"),
    # Chinese (simplified and traditional)
    ("ignore_previous_intl", ("忽略", "无视", "無視", "忽视", "忽視", "忘记", "忘記", "忘掉", "理会", "理會", "丢弃", "丟棄",
                              "抛开", "拋開"),
     r"(?:忽略|无视|無視|忽视|忽視|忘记|忘記|忘掉|不要理会|不要理會|不理会|不理會|丢弃|丟棄|抛开|拋開)[^\n。！？!?]{0,8}?"
     r"(?:之前|以前|先前|此前|前面|上面|上述|以上|原来|原來|原有|原始|系统|系統)[^\n。！？!?]{0,6}?"
     r"(?:指令|指示|提示词|提示詞|提示|规则|規則|命令(?!行)|要求|约束|約束)"
     r"|(?:忽略|无视|無視|忘记|忘記|忘掉)(?:掉)?(?:你的|您的)?(?:所有|全部|一切)的?(?:指令|指示|提示词|提示詞)"),
    ("approve_pr_intl", ("批准", "核准", "通过", "通過", "合并", "合併", "接受", "同意"),
     r"(?:批准|核准|approve)(?:这个|這個|此|该|該|本|这|這|我的|我们的|我們的)(?:个|個)?[ \t]{0,2}(?:pr|pull[ \t]?request|"
     r"拉取请求|拉取請求|合并请求|合併請求|变更|變更|更改|修改|补丁|補丁|提交)"
     r"|(?:请|請|直接|立即|马上|馬上|必须|必須|务必|務必|你要|你应该|你應該|你必须|你必須)(?:通过|通過|合并|合併|接受|同意)"
     r"(?:这个|這個|此|该|該|本|这|這|我的|我们的|我們的)(?:个|個)?[ \t]{0,2}(?:pr|pull[ \t]?request|拉取请求|拉取請求|"
     r"合并请求|合併請求|变更|變更|更改|修改|补丁|補丁|提交)"),
    ("you_are_ai", ("你", "您", "作为", "作為"),
     r"(?:你|您)(?:现在|現在|从现在起|從現在起)?(?:是|扮演)(?:一个|一個|一名|一位|个|個)?[^\n。，,]{0,8}?"
     r"(?:ai|人工智能|人工智慧|语言模型|語言模型|大模型|助手|助理|机器人|機器人|审查员|審查員|审核员|審核員|评审员|評審員)"
     r"|作[为為](?:一个|一個|一名|一位)?(?:ai|人工智能|人工智慧)(?:助手|助理|审查员|審查員|审核员|審核員|评审员|評審員|模型|"
     r"代码审查|代碼審查)|作[为為](?:一个|一個)?大?(?:语言模型|語言模型)"),
    # Japanese
    ("ignore_previous_intl", ("無視", "忘れ", "破棄"),
     r"(?:以前|前|これまで|今まで|上記|上|先|元|最初|既存|システム)の[^\n。]{0,10}?(?:指示|命令|指令|ルール|プロンプト|規則)"
     r"[^\n。]{0,8}?(?:無視|忘れ|破棄)"
     r"|(?:すべて|全て|全部)の(?:指示|命令|指令|プロンプト)[^\n。]{0,6}?(?:無視|忘れ|破棄)"),
    ("approve_pr_intl", ("承認", "マージ", "許可"),
     r"(?:この|本|当|こちらの|今回の)(?:pr|プルリクエスト|プルリク|マージリクエスト|変更|修正|パッチ|コミット)(?:を|は)?"
     r"[^\n。]{0,8}?(?:承認|マージ|許可|approve)(?:して(?!から|も|いる|いた|おり|あり)|しろ|せよ|すること|しなさい|するように)"),
    ("you_are_ai", ("あなた", "君", "きみ", "お前", "として"),
     r"(?:あなた|君|きみ|お前)は(?:今から|これから|今|現在)?[^\n。、,]{0,12}?"
     r"(?:ai|人工知能|言語モデル|アシスタント|レビュアー|レビューア|レビュワー|チャットボット|ボット)(?:です|だ|である|として)"
     r"|ai(?:アシスタント|レビュアー|レビューア|レビュワー|モデル)として"),
    # Russian
    ("ignore_previous_intl", ("игнорир", "проигнорир", "забуд", "отброс", "пренебреги", "обращай", "учитывай"),
     rf"\b(?:игнорируй(?:те)?|проигнорируй(?:те)?|забудь(?:те)?|отбрось(?:те)?|пренебреги(?:те)?|"
     rf"не{_W}обращай(?:те)?{_W}внимания{_W}на|не{_W}учитывай(?:те)?)(?:{_W}(?:все|всё|эти|свои|твои|ваши|любые|"
     rf"данные|тебе|вам|ранее)){{0,3}}{_W}(?:предыдущие|предыдущих|прошлые|прошлых|прежние|прежних|предшествующие|"
     rf"вышеуказанные|вышеприведённые|вышеизложенные|изначальные|исходные|системные|старые)(?:{_W}\w{{1,15}})?{_W}"
     rf"(?:инструкци\w{{0,3}}|указани\w{{0,3}}|команд\w{{0,3}}|правил\w{{0,3}}|установк\w{{0,3}}|промпт\w{{0,3}}|"
     rf"распоряжени\w{{0,3}})\b"),
    ("approve_pr_intl", ("одобри", "утверди", "прими", "мердж", "мерж", "влей", "апрув"),
     rf"\b(?:одобри(?:те)?|утверди(?:те)?|прими(?:те)?|смерджи(?:те)?|мерджи(?:те)?|смержи(?:те)?|влей(?:те)?|"
     rf"апрувни(?:те)?|заапрувь(?:те)?)(?:{_W}(?:пожалуйста|сразу|просто)){{0,2}}{_W}(?:этот|эту|это|этого|мой|мою|наш|"
     rf"нашу|данный|данную)(?:{_W}\w{{1,20}})?{_W}(?:pull{_W}request|pr|пр|пулл?[ -]?реквест\w{{0,3}}|"
     rf"запрос\w{{0,2}}{_W}на{_W}слияние|мерж?[ -]?реквест\w{{0,3}}|изменени\w{{0,3}}|патч\w{{0,2}}|коммит\w{{0,2}}|код)\b"),
    ("you_are_ai", ("ты", "вы", "как"),
     rf"\b(?:ты|вы)(?:{_W}(?:теперь|сейчас)){{0,2}}[ \t—-]{{0,6}}(?:(?:полезный|полезная|автоматический|"
     rf"автоматизированный){_W})?(?:ии|ai|искусственный{_W}интеллект|языковая{_W}модель|ассистент|ии-[\w-]{{1,15}}|"
     rf"ai-[\w-]{{1,15}}|ревьюер|ревьювер|чат-?бот|бот)\b"
     rf"|\bкак{_W}(?:ии|ai|языковая{_W}модель|искусственный{_W}интеллект)(?:-[\w-]{{1,15}})?,?{_W}(?:ты|вы){_W}"
     rf"(?:должен|должна|должны|обязан\w{{0,2}})\b"),
)
"""Non-English phrasings (see :data:`INJECTION_PATTERNS`)."""

INJECTION_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    _ENGLISH_PATTERNS + _STRUCTURAL_PATTERNS + _INTL_PATTERNS
)
"""``(pattern_id, triggers, regex)`` triples used by :func:`find_injection` (several triples may
share a pattern id, e.g. one per language).

Phrases come from published prompt-injection attacks on review bots and LLM apps (OWASP LLM01,
Greshake et al. 2023 "Not what you've signed up for"). They require an instruction shape (a verb
aimed at the reviewer, or a verdict/role marker), so code such as ``def approve(self)`` or
``# ignore whitespace`` does not match. Regexes and triggers are written in lower case (accents
and Cyrillic allowed: both are folded like the text, see :func:`_fold_char`) and matched against
the normalized text; ``triggers`` are substrings at least one of which every match contains: a
cheap test that skips the regex on most text."""

ENCODED_PATTERN_ID = "encoded_instruction"
"""Pattern id of a hit found in decoded text (base64, hex, ``%XX``, ``\\xXX``, ``\\uXXXX``, HTML
character references, Unicode tag characters, right-to-left-overridden text); see :func:`find_injection`."""

PATTERN_IDS: tuple[str, ...] = tuple(dict.fromkeys([
    *(pid for pid, _, _ in INJECTION_PATTERNS), *(p[0] for p in PROXIMITY_PATTERNS), ENCODED_PATTERN_ID,
]))
"""Every ``InjectionHit.pattern_id`` :func:`find_injection` can return."""

DATA_LIKE_PATTERNS: frozenset[str] = frozenset(
    {"json_verdict", "role_tag", "tool_call", "fake_transcript", "chat_transcript", "you_are_ai"}
)
"""Pattern ids that also describe ordinary data (test fixtures with ``{"status": "pass"}``, chat
templates with ``<|im_start|>``, ``<system>`` in a pom.xml, tool-call fixtures, example chat
transcripts, system prompts of an LLM application saying "You are a helpful assistant"): callers
may ignore them in visible file content and count them only in comments, hidden markup and PR text.
Hits of these patterns inside decoded text are not reported."""

_fold_char = fold_char
"""Fold one character for matching (NFKC, hidden characters dropped, lower case, accents dropped,
look-alike letters to their ASCII prototype from Unicode's confusables.txt): see
:func:`bot.core.unicode_text.fold_char`."""


def _fold_pattern(text: str) -> str:
    """Fold the non-ASCII characters of a regex or trigger like the text it will be matched against
    (ASCII is kept as is: the patterns are already lower case and escapes such as ``\\S`` must stay)."""
    if text.isascii():
        return text
    return "".join(ch if ch < "\u0080" else re.escape(_fold_char(ch)) for ch in text)


def pattern_texts() -> list[str]:
    """Every trigger and regex of :data:`INJECTION_PATTERNS` and :data:`PROXIMITY_PATTERNS` that
    holds a non-ASCII character (the texts :func:`_fold_pattern` changes), in order, without repeats."""
    texts = [t for _, triggers, rx in INJECTION_PATTERNS for t in (*triggers, rx)]
    texts += [t for _, triggers, first, second, _ in PROXIMITY_PATTERNS for t in (*triggers, first, second)]
    return [t for t in dict.fromkeys(texts) if not t.isascii()]


def _shipped_folds() -> dict[str, str]:
    """:data:`bot.core._injection_folds.FOLDS` (text -> :func:`_fold_pattern` of it) when it was
    generated with the folding data in use here (:func:`bot.core.unicode_text.fold_fingerprint`),
    else {} (also when that module or the look-alike table is missing). Folding the non-ASCII patterns when this module was imported cost 2-4 ms of CPU in
    every review (it loads the look-alike table), most of which read only ASCII text."""
    try:
        from bot.core import _injection_folds  # noqa: PLC0415

        same = fold_fingerprint() == _injection_folds.FINGERPRINT
    except (ImportError, OSError):  # not generated yet, or the look-alike table unreadable
        return {}
    return _injection_folds.FOLDS if same else {}


def _folded_tables() -> tuple[tuple[tuple[str, tuple[str, ...], str], ...],
                              tuple[tuple[str, tuple[str, ...], str, str, int], ...]]:
    """:data:`_COMPILED` and :data:`_COMPILED_PROXIMITY`: every trigger and regex folded by
    :func:`_fold_pattern`, taken from the shipped folds when they hold it (:func:`_shipped_folds`:
    the same text, folded in advance with the same data)."""
    shipped = _shipped_folds()

    def fold(text: str) -> str:
        if text.isascii():
            return text
        folded = shipped.get(text)
        return folded if folded is not None else _fold_pattern(text)

    return (
        tuple((pid, tuple(fold(t) for t in triggers), fold(rx)) for pid, triggers, rx in INJECTION_PATTERNS),
        tuple((pid, tuple(fold(t) for t in triggers), fold(first), fold(second), window)
              for pid, triggers, first, second, window in PROXIMITY_PATTERNS),
    )


_COMPILED, _COMPILED_PROXIMITY = _folded_tables()
"""The patterns folded like the text (``(pid, triggers, regex)`` and ``(pid, triggers, first,
second, window)``), each regex compiled by :func:`_regex` when a text first holds one of its triggers."""

_ASCII_TRIGGERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(t for t in triggers if t.isascii()) for _, triggers, _ in _COMPILED)
_ASCII_PROXIMITY_TRIGGERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(t for t in triggers if t.isascii()) for _, triggers, _, _, _ in _COMPILED_PROXIMITY)
"""Each pattern's ASCII triggers, in the order of :data:`_COMPILED` / :data:`_COMPILED_PROXIMITY`:
the only ones an ASCII text (most code) can hold, so the only ones looked up in it."""


def generate() -> str:
    """The source of ``bot/core/_injection_folds.py``: :func:`_fold_pattern` of every text of
    :func:`pattern_texts`, with :func:`~bot.core.unicode_text.fold_fingerprint`. Raises
    ValueError when a pattern holds a character whose folding would read the ``regex`` package's
    data (:func:`~bot.core.unicode_text.folds_without_regex`), which the fingerprint does not cover."""
    texts = pattern_texts()
    odd = sorted({ch for t in texts for ch in t if not folds_without_regex(ch)})
    if odd:
        raise ValueError(f"pattern characters folded with the regex package's data: {odd!r}")
    lines = [
        '"""Prompt-injection patterns folded like the text they are matched against (generated by',
        "``python -m bot.core.injection > bot/core/_injection_folds.py``; do not edit). See",
        ":func:`bot.core.injection._shipped_folds`.",
        '"""',
        "",
        f"FINGERPRINT = {fold_fingerprint()!r}",
        "FOLDS = {",
    ]
    lines += [f"    {t!r}: {_fold_pattern(t)!r}," for t in texts]
    lines.append("}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)`` once per process, when first needed: compiling all the patterns
    when this module was imported cost ~20 ms of CPU in every review (the prompt-injection check
    imports it), and a text compiles only the patterns whose triggers it holds."""
    return re.compile(pattern)
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")

_SPACES_RE = re.compile(r"[ \t\r\n]+")
"""Triggers are looked up in the normalized text with each whitespace run squeezed to one space,
so a trigger may span words ("you are") whichever whitespace the text puts between them."""


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _normalize(text: str) -> tuple[str, list[int] | None]:
    """Lower-case ``text``, drop invisible characters, fold compatibility forms (NFKC), accents and
    Cyrillic/Greek look-alikes (see :func:`_fold_char`).

    Returns the normalized text and a list mapping each normalized index to its original index,
    or None when the mapping is the identity (pure ASCII input).
    """
    if text.isascii():
        return text.lower(), None
    chars: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _NON_ASCII_RE.finditer(text):
        if m.start() > pos:  # an ASCII stretch: one slice, one range
            chars.append(text[pos : m.start()].lower())
            index.extend(range(pos, m.start()))
        for i in range(m.start(), m.end()):
            folded = _fold_char(text[i])
            chars.append(folded)
            index.extend([i] * len(folded))
        pos = m.end()
    if pos < len(text):
        chars.append(text[pos:].lower())
        index.extend(range(pos, len(text)))
    return "".join(chars), index


def _excerpt(text: str, start: int, end: int, limit: int = 200) -> str:
    """``text[start:end]`` with up to 40 characters of context each side, invisible characters
    removed, whitespace collapsed, cut to ``limit`` characters."""
    lo = max(0, start - 40)
    hi = min(len(text), end + 40)
    snippet = " ".join(remove_invisible(text[lo:hi]).split())
    if len(snippet) > limit:
        snippet = snippet[: limit - 1] + "…"
    return snippet


# -- encoded text -------------------------------------------------------------------------------

MAX_DECODE_DEPTH = 2
"""Decoded text is itself decoded again, down to this many levels (base64 of base64); readable
encoded text nested deeper makes the scan truncated (see :class:`InjectionScan`)."""


_B64_CHARS = r"A-Za-z0-9+/_\-"
_URL_CHARS = r"A-Za-z0-9._~+!*'(),;:@&=$/?-"
_ENCODED_RUNS: tuple[tuple[str, str | None, re.Pattern[str]], ...] = (
    # (kind, substring the text must contain for the regex to run, regex)
    ("base64", None, re.compile(  # also hex: a hex run is a base64 run, told apart in _decode_run
        rf"[{_B64_CHARS}]{{16,}}={{0,2}}(?:[ \t]{{0,4}}\r?\n[ \t>]{{0,8}}[{_B64_CHARS}]{{16,}}={{0,2}})*+")),
    ("percent-encoded", "%", re.compile(  # the plain text before the first %XX is added by _decoded_hits
        rf"%[0-9A-Fa-f]{{2}}(?:[{_URL_CHARS}]{{0,40}}%[0-9A-Fa-f]{{2}}){{2,}}[{_URL_CHARS}]{{0,40}}")),
    ("\\x-escaped", "\\x", re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")),
    ("\\u-escaped", "\\u", re.compile(r"(?:\\u[0-9A-Fa-f]{4}){6,}")),
    ("HTML-entity", "&#", re.compile(r"(?:&#(?:[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});){6,}")),
    ("tag-character", None, re.compile("[\U000e0000-\U000e007f]{3,}")),
    ("bidi-reversed", "\u202e", re.compile("\u202e[^\u202a-\u202e\u2066-\u2069\n]{8,}")),
)
"""Runs of encoded text worth decoding. Each regex starts with a character class or a literal (so
the regex engine skips ahead quickly) and is a class repeated, or a literal followed by bounded
classes, with nothing to backtrack into (linear time). A scan costs one pass per kind that the text
can contain (tag characters and overrides only in non-ASCII text)."""

_URL_BEFORE_RE = re.compile(rf"[{_URL_CHARS}]{{0,60}}$")
_HEX_RE = re.compile(r"[0-9A-Fa-f]{24,}")
_ENTITY_RE = re.compile(r"&#([xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});")
_WS_RE = re.compile(r"[\s>]+")


def _decode_run(kind: str, run: str) -> str | None:
    """Decode one encoded run; None when it does not decode to readable text."""
    raw: bytes | None = None
    try:
        if kind == "base64":
            run = _WS_RE.sub("", run).rstrip("=")
            if _HEX_RE.fullmatch(run):
                raw = bytes.fromhex(run[: len(run) - len(run) % 2])
            elif not (any(c.isupper() for c in run) and any(c.islower() for c in run)):
                return None  # identifiers and words in one case, not base64 of text
            elif ("-" in run or "_" in run) and ("+" in run or "/" in run):
                return None  # mixes the standard and the URL-safe alphabet: paths, identifiers
            else:
                run = run[: len(run) - len(run) % 4] if len(run) % 4 == 1 else run
                run += "=" * (-len(run) % 4)
                urlsafe = "-" in run or "_" in run
                raw = base64.b64decode(run, altchars=b"-_" if urlsafe else None, validate=True)
        elif kind == "\\x-escaped":
            raw = bytes(int(run[i + 2 : i + 4], 16) for i in range(0, len(run) - 3, 4))
        elif kind == "percent-encoded":
            return _readable(urllib.parse.unquote_plus(run, errors="strict"))
        elif kind == "\\u-escaped":
            return _readable("".join(chr(int(run[i + 2 : i + 6], 16)) for i in range(0, len(run) - 5, 6)))
        elif kind == "HTML-entity":
            codes = [int(v[1:], 16) if v[0] in "xX" else int(v) for v in _ENTITY_RE.findall(run)]
            return _readable("".join(chr(c) for c in codes if c <= 0x10FFFF))
        elif kind == "bidi-reversed":  # a right-to-left override displays the text reversed
            return _readable(run[1:][::-1])
        elif kind == "tag-character":
            return _readable("".join(chr(ord(c) - 0xE0000) for c in run if 0x20 <= ord(c) - 0xE0000 < 0x7F))
        return _readable(raw.decode("utf-8")) if raw is not None else None
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        return None


def _readable(text: str) -> str | None:
    """``text`` when it reads as text (at least 8 characters, 90% printable or whitespace, some
    letters), else None: binary data, hashes and keys decode to noise."""
    if len(text) < 8:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in text if c.isalpha())
    return text if printable >= 0.9 * len(text) and letters >= 4 else None


def _decoded(head: str) -> tuple[str, list[tuple[int, int, str, int]]]:
    """Every encoded run of ``head`` that decodes to readable text, decoded whole: the decoded
    texts joined by blank lines, and ``(start, end, kind, offset in head)`` of each in that text."""
    pieces: list[str] = []
    spans: list[tuple[int, int, str, int]] = []  # (start in doc, end in doc, kind, offset in head)
    pos = 0
    ascii_only = head.isascii()
    known: dict[tuple[str, str], str | None] = {}  # a run met again (an identifier) is decoded once
    for kind, needle, rx in _ENCODED_RUNS:
        if (needle is not None and needle not in head) or (ascii_only and kind in ("tag-character", "bidi-reversed")):
            continue
        for m in rx.finditer(head):
            start, run = m.start(), m.group()
            if kind == "percent-encoded":  # "ignore%20previous": take the text before the first %XX too
                before = _URL_BEFORE_RE.search(head, max(0, start - 60), start)
                if before is not None:
                    start, run = before.start(), before.group() + run
            key = (kind, run)
            if key not in known:
                known[key] = _decode_run(kind, run)
            decoded = known[key]
            if decoded is None:
                continue
            pieces.append(decoded)
            spans.append((pos, pos + len(decoded), kind, start))
            pos += len(decoded) + 3
            pieces.append("\n\n\n")
    return "".join(pieces), spans


def _decoded_hits(head: str, depth: int, notes: list[str]) -> list[InjectionHit]:
    """Hits inside the encoded runs of ``head`` (all decoded runs are scanned together, once)."""
    doc, spans = _decoded(head)
    if not spans:
        return []
    starts = [s for s, _, _, _ in spans]
    found: dict[int, list[InjectionHit]] = {}
    for hit in _find(doc, depth + 1, notes):
        if hit.pattern_id in DATA_LIKE_PATTERNS:
            continue
        i = bisect.bisect_right(starts, hit.offset) - 1
        if i >= 0 and hit.offset < spans[i][1]:
            found.setdefault(i, []).append(hit)
    out = []
    for i, hits in sorted(found.items()):
        start, end, kind, offset = spans[i]
        nested = [h for h in hits if h.pattern_id == ENCODED_PATTERN_ID]
        if len(nested) == len(hits):  # encoded twice: show the innermost text
            excerpt = f"{kind} text decodes to {nested[0].excerpt}"
        else:
            ids = ", ".join(dict.fromkeys(h.pattern_id for h in hits if h.pattern_id != ENCODED_PATTERN_ID))
            text = " ".join(remove_invisible(doc[start:end]).split())
            text = text if len(text) <= 150 else text[:149] + "…"
            excerpt = f"{kind} text decodes to: {text} [{ids}]"
        out.append(InjectionHit(pattern_id=ENCODED_PATTERN_ID, excerpt=excerpt[:200], offset=offset))
    return out


@dataclass(frozen=True)
class InjectionScan:
    """Result of :func:`scan_injection`: the ``hits`` (see :func:`find_injection`) and
    ``truncated``, one sentence per part of the text that was not read (empty when the whole text
    was read). A caller must treat a non-empty ``truncated`` as a scan limit reached (fail closed)."""

    hits: list[InjectionHit]
    truncated: list[str]


def scan_injection(text: str) -> InjectionScan:
    """Find instructions aimed at an AI reviewer in ``text`` (case-insensitive), reading all of it.

    The text is normalized first (:func:`bot.core.unicode_text.fold_char`: NFKC, hidden characters
    dropped, lower case, accents dropped, look-alike letters replaced by their ASCII prototype from
    Unicode's confusables.txt), so ``IG<ZWSP>NORE previous instructions`` and ``ignоre`` with a
    Cyrillic ``о`` still match. HTML comments are *not* removed: instructions hidden in them are
    found too. Runs of encoded text (base64, hex, ``%XX``, ``\\xXX``, ``\\uXXXX``, ``&#NN;``,
    Unicode tag characters, text after a right-to-left override, which displays reversed) that
    decode to readable text are decoded whole and scanned too, :data:`MAX_DECODE_DEPTH` levels
    deep; readable encoded text nested deeper is reported in ``truncated``. A hit in decoded text
    has pattern id :data:`ENCODED_PATTERN_ID`, the offset of the encoded run, and the decoded text
    and inner pattern ids in its excerpt. Decoded text is never longer than the text it came from,
    and every pattern has a bounded width, so a scan costs a few linear passes over ``text``,
    whatever its length. Hits are ordered by offset (into ``text``); at most one hit per pattern
    and offset. Never raises.
    """
    notes: list[str] = []
    hits = _find(text, 0, notes)
    return InjectionScan(hits=hits, truncated=list(dict.fromkeys(notes)))


def find_injection(text: str) -> list[InjectionHit]:
    """The hits of :func:`scan_injection` (callers that must fail closed on a scan limit use
    :func:`scan_injection` and its ``truncated``)."""
    return scan_injection(text).hits


def _find(head: str, depth: int, notes: list[str]) -> list[InjectionHit]:
    norm, index = _normalize(head)
    norm = "\n" + norm  # a line-start pattern's literal "\n" matches on the first line too
    squeezed: str | None = None

    def triggered(triggers: tuple[str, ...]) -> bool:
        nonlocal squeezed
        for trigger in triggers:
            if " " not in trigger:
                if trigger in norm:
                    return True
                continue
            if squeezed is None:
                squeezed = _SPACES_RE.sub(" ", norm)
            if trigger in squeezed:
                return True
        return False

    hits: list[InjectionHit] = []
    seen: set[tuple[str, int]] = set()

    def add(pid: str, m: re.Match[str], end_in_norm: int) -> None:
        lo = m.start("at") if "at" in m.re.groupindex and m.start("at") >= 0 else m.start()
        lo, hi = max(lo - 1, 0), max(end_in_norm - 1, 0)  # positions in the normalized text proper
        if index is None:
            start, end = lo, hi
        else:
            start = index[lo] if lo < len(index) else len(head)
            end = index[hi - 1] + 1 if hi > lo else start
        if (pid, start) not in seen:
            seen.add((pid, start))
            hits.append(InjectionHit(pattern_id=pid, excerpt=_excerpt(head, start, end), offset=start))

    ascii_text = norm.isascii()  # then a trigger with another character cannot be in it
    for i, (pid, triggers, rx) in enumerate(_COMPILED):
        if triggered(_ASCII_TRIGGERS[i] if ascii_text else triggers):
            for m in _regex(rx).finditer(norm):
                add(pid, m, m.end())
    for i, (pid, triggers, first_rx, second_rx, window) in enumerate(_COMPILED_PROXIMITY):
        if not triggered(_ASCII_PROXIMITY_TRIGGERS[i] if ascii_text else triggers):
            continue
        second = _regex(second_rx)
        searched_from, found = len(norm) + 1, None  # ``found``: the first match of ``second`` at or after searched_from
        for m in _regex(first_rx).finditer(norm):
            pos = m.end()
            if not (searched_from <= pos and (found is None or found.start() >= pos)):
                searched_from, found = pos, second.search(norm, pos)
            if found is not None and found.start() - pos <= window and not _BLANK_LINE_RE.search(norm, pos, found.start()):
                add(pid, m, found.end())
    if depth >= MAX_DECODE_DEPTH:
        if _decoded(head)[1]:
            notes.append(f"encoded text nested more than {MAX_DECODE_DEPTH} levels deep was not decoded")
    else:
        for hit in _decoded_hits(head, depth, notes):
            if (hit.pattern_id, hit.offset) not in seen:
                seen.add((hit.pattern_id, hit.offset))
                hits.append(hit)
    hits.sort(key=lambda h: (h.offset, h.pattern_id))
    return hits


if __name__ == "__main__":
    print(generate(), end="")
