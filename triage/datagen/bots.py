"""Spam and bot comments the way they look on music videos today.

The public spam sets (2013-2015) have the spam in the text: "check out my
channel", links. Newer bots copy an ordinary fan comment and hide the pitch in
the author's display name: "𝓢𝓮𝔁𝔂 𝓖𝓲𝓻𝓵𝓼 ➜ 𝓒𝓱𝓮𝓬𝓴 𝓑𝓲𝓸", "ᴄʟɪᴄᴋ ᴍʏ ᴘʀᴏꜰɪʟᴇ 🔞",
"Telegram ➤ @mentor_fx". Others write investment "testimonials" or
impersonate the artist. None of that is in the public sets, so these
examples teach the author-name block of the spam model; they are paired with
ham comments whose authors also use emoji, digits and decoration, so that
decoration alone does not read as spam.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from triage.datagen.compose import Example, strip_accents


def _shift(text: str, upper: int, lower: int, digit: int | None = None) -> str:
    out = []
    for ch in text:
        if "A" <= ch <= "Z":
            out.append(chr(upper + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(lower + ord(ch) - ord("a")))
        elif digit is not None and "0" <= ch <= "9":
            out.append(chr(digit + ord(ch) - ord("0")))
        else:
            out.append(ch)
    return "".join(out)


_SMALL_CAPS = dict(zip("abcdefghijklmnopqrstuvwxyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀsᴛᴜᴠᴡxʏᴢ", strict=True))


def bold(text: str) -> str:
    return _shift(text, 0x1D400, 0x1D41A, 0x1D7CE)


def script(text: str) -> str:
    return _shift(text, 0x1D4D0, 0x1D4EA)


def double_struck(text: str) -> str:
    return _shift(strip_accents(text), 0x1D538, 0x1D552, 0x1D7D8)


def sans_bold(text: str) -> str:
    return _shift(text, 0x1D5D4, 0x1D5EE, 0x1D7EC)


def circled(text: str) -> str:
    return _shift(text, 0x24B6, 0x24D0)


def small_caps(text: str) -> str:
    return "".join(_SMALL_CAPS.get(c, c) for c in text.lower())


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def spaced(text: str) -> str:
    return " ".join(text)


def plain(text: str) -> str:
    return text


STYLES_TRAIN: Sequence[Callable[[str], str]] = (bold, script, small_caps, circled, plain, plain)
STYLES_HELDOUT: Sequence[Callable[[str], str]] = (
    sans_bold,
    double_struck,
    fullwidth,
    spaced,
    plain,
)

DECOR = ("🔞", "💋", "❤️", "👉", "➜", "➤", "🔥", "💦", "🍑", "✅", "⬇️", "👇", "💰", "📈", "")

BOT_NAME_TRAIN = (
    "Hot girls check my profile",
    "Click my profile",
    "Sexy Lisa 18+",
    "Watch my private video",
    "See bio for fun",
    "Lonely and single",
    "Free robux in bio",
    "Telegram @crypto_mentor",
    "WhatsApp +1 555 0198",
    "Chat with me now",
    "Jessica look at my channel",
    "Dating site in bio",
    "Regarde mon profil",
    "Mira mi perfil",
    "Schau in mein Profil",
    "Get paid daily",
    "Investment coach Mary",
    "Naughty Anna",
    "Only for 18+",
    "My pics on my page",
)
BOT_NAME_HELDOUT = (
    "Tap my avatar babe",
    "Visit my page for hot content",
    "Private chat open",
    "Kira nude in profile",
    "Message me on Telegram",
    "Earn 5k weekly DM",
    "Hot single mom nearby",
    "Photos privées sur mon profil",
    "Chica caliente mira mi canal",
    "Heiße Bilder im Profil",
    "Forex mentor Olivia",
    "Don't read my name",
)

COPIED_COMMENTS = (
    "this song is a masterpiece",
    "who's here in 2023?",
    "I love this part {ts}",
    "{artist} never disappoints",
    "this deserves more views",
    "the vocals at {ts} are insane",
    "pure nostalgia",
    "goosebumps every time",
    "ce son est incroyable",
    "qui est là en 2023 ?",
    "esta canción es arte",
    "quién sigue aquí en 2023?",
    "dieser song ist einfach perfekt",
    "wer hört das 2023 noch?",
    "😍😍😍",
    "❤️",
    "Best song ever",
    "{ts} chills",
)

TEXT_SPAM_TRAIN = (
    "I've been earning $12,000 every week thanks to Mrs. {mentor}, she's a genius. Contact her on Telegram {tg}",
    "Thanks for watching! You have been selected as one of our winners 🎁 message me on telegram {tg} to claim",
    "Want more streams? Promote your music to 50k real listeners at {url}",
    "check out my new channel, I upload every day!! please subscribe {url}",
    "Gagnez 500€ par jour depuis chez vous, infos sur {url}",
    "abonnez-vous à ma chaîne svp, je fais des covers {url}",
    "suscríbete a mi canal porfa, subo covers cada semana {url}",
    "gana dinero desde casa con criptomonedas, escríbeme {tg}",
    "abonniert meinen Kanal, ich mache auch Musik!! {url}",
    "Verdiene 3000€ pro Woche mit Bitcoin, schreib mir auf Telegram {tg}",
    "Congratulations 🎉 you won a free iPhone, click {url}",
    "Free followers and likes here {url} 100% working",
)
# Older comment spam that never went away: self-promotion, like-farming,
# share bait. Ordinary people write these too, but on an artist's inbox they
# are noise the team does not want to read first.
COMMENT_SPAM_TRAIN = (
    "Like this comment if you're listening in {year}",
    "thumbs up if you came here from the radio",
    "give this comment a like so the artist sees it",
    "Hey guys I'm a 15 year old rapper, please check out my videos and subscribe!!",
    "please go to my channel and watch my covers, would mean the world",
    "Share this video with 10 friends or you'll have bad luck",
    "Check out this video on YouTube: {url}",
    "subscribe to me and i'll subscribe back",
    "If this comment gets 1000 likes I'll shave my head",
    "can I get 100 subscribers before the end of the month? help me out",
    "aimez ce commentaire si vous écoutez encore en {year}",
    "venez voir ma chaîne, je poste des covers chaque semaine !!",
    "dale like si escuchas esto en {year}",
    "pasen por mi canal porfa, necesito suscriptores",
    "like wenn du das {year} noch hörst",
    "schaut mal auf meinem kanal vorbei, ich mache auch musik",
    "Follow me on instagram {tg} for daily beats",
    "visit my website {url} for free ringtones",
)
COMMENT_SPAM_HELDOUT = (
    "Who else wants this comment to be the top one? smash like",
    "Yo I make beats too, go peep my page and drop a sub",
    "Don't scroll past! Help a small channel grow {url}",
    "Copy and paste this on 5 videos and your crush will text you",
    "Partagez cette vidéo à 10 personnes et abonnez-vous à ma page",
    "Regalen un like si todavía la cantan en {year} y sigan mi canal",
    "Liken wer das noch feiert und folgt mir auf insta {tg}",
)

TEXT_SPAM_HELDOUT = (
    "Big thanks to {mentor} for the crypto signals, turned $500 into $9,800 in two weeks. Reach out {tg}",
    "🎁 Giveaway winner! Send a message to my official Telegram {tg} to receive your prize",
    "Playlist placement for artists, guaranteed 10k plays, visit {url}",
    "Merci à {mentor}, grâce à ses conseils en trading je vis de mes gains. Contact {tg}",
    "Gracias a {mentor} gano 2000 dólares semanales, su WhatsApp +1 415 555 0134",
    "Dank {mentor} habe ich meine Schulden bezahlt, kontaktiert sie auf Telegram {tg}",
    "sub4sub anyone?? I sub back instantly {url}",
)

BOT_FILL = {
    "mentor": ("Susan Kelly", "Evelyn Carter", "Amanda Rose", "Clara Jensen"),
    "tg": ("@SusanKellyFX", "@EvelynTrades", "👉 @amanda_signals", "@winner_desk_01"),
    "url": (
        "https://bit.ly/3xYz",
        "www.fanboost.biz",
        "http://stream-promo.co",
        "linktr.ee/earnfast",
    ),
    "ts": ("1:23", "2:31", "0:45", "3:02"),
    "year": ("2015", "2019", "2023", "2024"),
    "artist": ("Lena", "Nightjar", "Kid Azul", "Marlo"),
}

# Text spam comes from ordinary-looking accounts: the name must not give it away.
PITCH_AUTHORS = (
    "Susan Kelly",
    "Lena Official",
    "Mark",
    "crypto.queen",
    "Kevin B",
    "Maria G",
    "jay_beats",
    "Tim",
)

HAM_AUTHORS = (
    "Chloé ✨",
    "💜 Mia 💜",
    "jake_93",
    "SOPHIE",
    "Lukas 🎸",
    "dani de bcn",
    "mama bear 🐻",
    "the_real_tom",
    "Ana María",
    "𝓜𝓲𝓪",
    "Lena Fan Account",
    "DJ Kevin",
    "grace🦋",
    "user-xk3j9",
    "@musiclover2001",
)


def _fill(text: str, rng: random.Random) -> str:
    for slot, choices in BOT_FILL.items():
        while "{" + slot + "}" in text:
            text = text.replace("{" + slot + "}", rng.choice(choices), 1)
    return text


def bot_name(base: str, styles: Sequence[Callable[[str], str]], rng: random.Random) -> str:
    name = rng.choice(styles)(base)
    left, right = rng.choice(DECOR), rng.choice(DECOR)
    return f"{left} {name} {right}".strip()


def generate_bots(count: int, heldout: bool, rng: random.Random) -> list[Example]:
    """Bot comments: half hide in the name, half pitch in the text."""
    names = BOT_NAME_HELDOUT if heldout else BOT_NAME_TRAIN
    styles = STYLES_HELDOUT if heldout else STYLES_TRAIN
    pitches: tuple[str, ...] = (
        TEXT_SPAM_HELDOUT + COMMENT_SPAM_HELDOUT
        if heldout
        else TEXT_SPAM_TRAIN + COMMENT_SPAM_TRAIN
    )
    out: list[Example] = []
    for i in range(count):
        if i % 2 == 0:
            author = bot_name(rng.choice(names), styles, rng)
            text = _fill(rng.choice(COPIED_COMMENTS), rng)
        else:
            author = rng.choice(PITCH_AUTHORS)
            text = _fill(rng.choice(pitches), rng)
        out.append(
            Example(
                text=text,
                intent="other",
                lang="und",
                author=author,
                priority="low",
                sentiment="neutral",
                toxic=False,
                spam=True,
                network="youtube",
            )
        )
    return out


def generate_ham_comments(count: int, rng: random.Random) -> list[Example]:
    """The same copied-looking comments written by ordinary fans."""
    out: list[Example] = []
    for _ in range(count):
        text = _fill(rng.choice(COPIED_COMMENTS), rng)
        out.append(
            Example(
                text=text,
                intent="other",
                lang="und",
                author=rng.choice(HAM_AUTHORS),
                priority="low",
                sentiment="neutral",
                toxic=False,
                spam=False,
                network="youtube",
            )
        )
    return out
