"""Each clutter category, in at least four languages, inside a real paragraph context;
and the sentences that look like clutter but are news, which must stay."""

import pytest

from cleaner.stages.boilerplate.strip import StripBoilerplate
from cleaner.core.config import load_config
from cleaner.core.document import Document

CFG = load_config()
B = CFG["boilerplate"]
STAGE = StripBoilerplate(CFG.rule_paths(), B["protect_min_words"], B["max_removed_fraction"], B["headline_max_words"])

PROSE = {
    "en": "The port authority said loading resumed at the undamaged berths on Sunday, while divers inspected the quay walls.",
    "de": "Die Hafenbehörde teilte mit, dass die Verladung an den unbeschädigten Liegeplätzen am Sonntag wieder aufgenommen wurde.",
    "fr": "L'autorité portuaire a indiqué que le chargement avait repris dimanche aux postes d'amarrage intacts.",
    "es": "La autoridad portuaria dijo que la carga se reanudó el domingo en los muelles que no sufrieron daños.",
    "ru": "Администрация порта сообщила, что погрузка возобновилась в воскресенье у неповреждённых причалов.",
    "uk": "Адміністрація порту повідомила, що навантаження відновилося в неділю біля непошкоджених причалів.",
    "zh": "港务局表示，周日未受损的泊位已恢复装卸作业，潜水员正在检查码头墙体。当局还说，受损的谷物码头预计需要数月才能修复，其间货物将转由其他码头装运，出口不会中断。",
    "ar": "وقالت سلطة الميناء إن عمليات التحميل استؤنفت يوم الأحد في الأرصفة التي لم تتضرر.",
    "it": "L'autorità portuale ha detto che il carico è ripreso domenica nelle banchine non danneggiate.",
    "pl": "Zarząd portu poinformował, że załadunek wznowiono w niedzielę przy nieuszkodzonych nabrzeżach.",
    "pt": "A administração do porto disse que as cargas foram retomadas no domingo nos cais que não sofreram danos.",
    "nl": "De havenautoriteit zei dat het laden zondag werd hervat aan de kades die niet beschadigd waren.",
    "tr": "Liman idaresi, yüklemenin pazar günü hasar görmeyen rıhtımlarda yeniden başladığını açıkladı.",
    "sv": "Hamnmyndigheten uppgav att lastningen återupptogs på söndagen vid de kajer som inte skadats.",
    "cs": "Správa přístavu uvedla, že nakládka se v neděli obnovila u nábřeží, která nebyla poškozena.",
    "ro": "Administrația portului a anunțat că încărcarea a fost reluată duminică la cheiurile neafectate.",
    "el": "Η λιμενική αρχή ανέφερε ότι η φόρτωση ξανάρχισε την Κυριακή στις αποβάθρες που δεν υπέστησαν ζημιές.",
    "ja": "港湾当局によると、被害を受けなかった岸壁では日曜日に荷役作業が再開され、潜水士が岸壁の状態を調べている。当局は、損傷した穀物ターミナルの修復には数か月かかる見通しだと説明した。",
    "ko": "항만 당국은 피해를 입지 않은 부두에서 일요일에 하역 작업이 재개됐으며 잠수부들이 안벽 상태를 점검하고 있다고 밝혔다.",
}

# Issue #19: each of these languages has consent, copyright, newsletter, share/print and
# "read also" lines (bench/rules_table.py lists them per rule).
NEW_LANGUAGES = {
    "pt": ["Ao continuar a navegar no site, concorda com a utilização de cookies.", "© 2026 Gazeta do Cais. Todos os direitos reservados.",
           "Assine a nossa newsletter e receba o resumo da manhã", "Partilhar"],
    "nl": ["Wij gebruiken cookies om te zien welke artikelen gelezen worden.", "© 2026 Havenkrant. Alle rechten voorbehouden.",
           "Meld je aan voor onze nieuwsbrief", "Deel dit artikel"],
    "pl": ["Ta strona wykorzystuje pliki cookie, aby liczyć odwiedziny.", "Wszelkie prawa zastrzeżone",
           "Zapisz się na newsletter Gazety Portowej", "Udostępnij"],
    "tr": ["Sitemizi kullanmaya devam ederek çerez politikamızı kabul etmiş olursunuz.", "Liman Gazetesi - Tüm hakları saklıdır.",
           "E-bültene abone olun", "Haberi paylaş"],
    "sv": ["Vi använder cookies för att se vilka artiklar som läses.", "Alla rättigheter förbehållna © Hamnbladet",
           "Anmäl dig till vårt nyhetsbrev", "Skriv ut"],
    "cs": ["Tyto stránky používají cookies k měření návštěvnosti.", "© 2026 Přístavní listy, všechna práva vyhrazena",
           "Odebírejte náš newsletter", "Sdílet"],
    "ro": ["Prin continuarea navigării, ești de acord cu folosirea cookie-urilor.", "© 2026 Gazeta Portului. Toate drepturile rezervate.",
           "Abonați-vă la newsletter", "Distribuie"],
    "el": ["Ο ιστότοπος χρησιμοποιεί cookies για τη μέτρηση της επισκεψιμότητας.", "© 2026 Λιμενικά Νέα. Με επιφύλαξη παντός δικαιώματος.",
           "Γραφτείτε στο newsletter μας", "Εκτύπωση"],
    "ja": ["当サイトをご利用になる場合、Cookieの利用に同意したものとみなします。", "港湾新聞 無断転載禁止",
           "メールマガジンに登録する", "シェア"],
    "ko": ["이 사이트는 통계를 위해 쿠키를 이용합니다.", "항만일보 무단 전재 및 재배포 금지",
           "뉴스레터를 구독하세요", "공유"],
}
NEW_CATEGORIES = ["consent", "legal", "promo", "navigation"]
NEW_RELATED = [("pt", "Leia também:"), ("nl", "Lees ook:"), ("pl", "Przeczytaj także:"), ("tr", "Ayrıca bakınız:"),
               ("sv", "Läs även:"), ("cs", "Přečtěte si také:"), ("ro", "Citește și:"), ("el", "Δείτε επίσης:"),
               ("ja", "関連ニュース"), ("ko", "관련기사")]

CLUTTER = {
    "consent": [
        ("en", "By continuing to browse our site you agree to our use of cookies, revised Privacy Policy and Terms of Use."),
        ("de", "Wenn Sie die Seite weiter nutzen, stimmen Sie der Verwendung von Cookies zu."),
        ("fr", "En poursuivant votre navigation sur ce site, vous acceptez l'utilisation de cookies."),
        ("es", "Al continuar navegando, acepta el uso de cookies."),
        ("ru", "Продолжая использовать сайт, вы соглашаетесь с использованием файлов cookie."),
        ("uk", "Продовжуючи користуватися сайтом, ви погоджуєтеся з використанням файлів cookie."),
        ("zh", "继续浏览本网站即表示您同意我们使用Cookie。"),
        ("ar", "باستمرارك في تصفح هذا الموقع، فإنك توافق على استخدام ملفات تعريف الارتباط."),
    ],
    "legal": [
        ("zh", "互联网新闻信息许可证：31120170001"),
        ("zh", "沪ICP备12345678号"),
        ("ru", "Сетевое издание зарегистрировано Роскомнадзором, Эл № ФС77-81234 от 12.03.2021"),
        ("en", "© 2025 Meridian News Agency. All rights reserved."),
        ("de", "Alle Rechte vorbehalten."),
        ("fr", "© 2025 L'Écho de Fourvière - Tous droits réservés"),
        ("it", "Riproduzione riservata"),
        ("uk", "© 2025 Усі права захищені"),
    ],
    "contact": [
        ("en", "Disinformation report hotline: 010-85061466"),
        ("zh", "违法和不良信息举报电话：021-12345678"),
        ("ru", "Горячая линия: 8 800 555-35-35"),
        ("uk", "Гаряча лінія: 0 800 500 201"),
        ("de", "Hotline-Nummer: 0800 123 456"),
    ],
    "navigation": [
        ("en", "CHOOSE YOUR LANGUAGE"),
        ("uk", "ОБЕРІТЬ МОВУ"),
        ("de", "Teilen Sie diesen Artikel"),
        ("fr", "Publicité"),
        ("ru", "Реклама"),
        ("zh", "分享到："),
        ("ar", "مشاركة"),
    ],
    "promo": [
        ("en", "Subscribe to our newsletter for daily updates"),
        ("de", "Newsletter abonnieren"),
        ("uk", "Підписуйтесь на наш Telegram-канал"),
        ("fr", "Inscrivez-vous à notre newsletter"),
        ("es", "Suscríbete a nuestro boletín"),
    ],
    "credit": [
        ("en", "Firefighters work at the damaged grain terminal in Odesa, December 20, 2025. /Reuters"),
        ("de", "Leere Gleise am Frankfurter Hauptbahnhof am Donnerstagmorgen. Foto: dpa"),
        ("fr", "La séance du conseil municipal s'est tenue à l'hôtel de ville. Photo : AFP"),
        ("ru", "Пассажиры на одной из новых станций. Фото: ТАСС"),
        ("zh", "（图片来源：新华社）"),
        ("pl", "aja/PAP"),
    ],
}
RELATED = [  # marker, then two headlines
    ("en", "Read more:"), ("de", "Lesen Sie auch:"), ("fr", "Lire aussi :"), ("es", "Lea también:"),
    ("ru", "Читайте также:"), ("uk", "Читайте також:"), ("zh", "相关阅读"), ("ar", "اقرأ أيضا"),
]
HEADLINES = ["Grain exports resume from Danube ports after storm", "Shipping insurers raise war-risk premiums"]


def run(text):
    return STAGE.process(Document(id="t", source="t.txt", text=text))


CASES = [(cat, lang, line) for cat, rows in CLUTTER.items() for lang, line in rows]
# ...and the languages #19 added (pt, nl, pl, tr, sv, cs, ro, el, ja, ko, zh-Hant).
CASES += [(cat, lang, line) for lang, lines in NEW_LANGUAGES.items() for cat, line in zip(NEW_CATEGORIES, lines)]


@pytest.mark.parametrize("category,lang,line", CASES, ids=[f"{c}-{l}-{i}" for i, (c, l, _) in enumerate(CASES)])
def test_clutter_in_the_body_is_removed(category, lang, line):
    doc = run(f"Headline\n{PROSE[lang]}\n{line}\n{PROSE[lang]}")
    assert line not in doc.text and doc.text.count(PROSE[lang]) == 2
    assert [r["category"] for r in doc.removed] == [category]


@pytest.mark.parametrize("lang,marker", RELATED + NEW_RELATED)
def test_related_link_lists_are_removed(lang, marker):
    doc = run("\n".join(["Headline", PROSE[lang], marker, *HEADLINES, PROSE[lang]]))
    assert {r["text"] for r in doc.removed} == {marker, *HEADLINES}
    assert {r["category"] for r in doc.removed} == {"related"}


@pytest.mark.parametrize("lang", ["en", "de", "fr", "ru", "uk", "zh"])
def test_bullet_headline_pairs_in_every_script(lang):
    doc = run(f"Headline\n{PROSE[lang]}\n-\n{HEADLINES[0]}\n•\n{HEADLINES[1]}\n{PROSE[lang]}")
    assert len(doc.removed) == 4 and doc.text.count(PROSE[lang]) == 2




# A short news-like sentence per new language that names cookies, rights, newsletters or
# related stories, and must stay.
MUST_STAY_NEW = {
    "pt": "O regulador multou o portal por instalar cookies sem pedir autorização aos leitores.",
    "nl": "Lees ook de kleine lettertjes, waarschuwt de consumentenbond voor de nieuwe tarieven.",
    "tr": "Mahkeme, fotoğrafçının haklarını saklı tuttuğuna karar verdi.",
    "sv": "Läs mer om reglerna på kommunens webbplats, skriver myndigheten i ett pressmeddelande.",
    "cs": "Úřad uvedl, že web ukládal cookies bez souhlasu čtenářů.",
    "ro": "Autoritatea a amendat portalul pentru că a stocat cookie-uri fără acordul cititorilor.",
    "el": "Η αρχή επέβαλε πρόστιμο στον ιστότοπο επειδή αποθήκευε cookies χωρίς συναίνεση.",
    "ja": "監督当局は、同社が利用者の同意なくクッキーを使用していたと発表した。",
    "ko": "회사는 뉴스레터 구독자가 지난해 두 배로 늘었다고 밝혔다.",
}


@pytest.mark.parametrize("lang", sorted(MUST_STAY_NEW))
def test_news_sentences_in_the_issue_19_languages_stay(lang):
    sentence = MUST_STAY_NEW[lang]
    doc = run(f"Headline\n{PROSE[lang]}\n{sentence}\n{PROSE[lang]}")
    assert sentence in doc.text and doc.removed == []


def test_every_category_is_covered_in_four_languages():
    for category, rows in CLUTTER.items():
        assert len({lang for lang, _ in rows}) >= 4, category
    assert len({lang for lang, _ in RELATED}) >= 4


MUST_STAY = [
    "The regulator said the site's use of cookies broke the law.",
    "Die Behörde erklärte, die Verwendung von Cookies auf der Seite sei rechtswidrig gewesen.",
    "La CNIL a estimé que l'utilisation de cookies par le site était illégale.",
    "Суд признал, что использование файлов cookie на сайте нарушало закон.",
    "Customers can call the consumer hotline on 0800 123 456, the regulator said.",
    "The ruling was first reported by the Meridian News Agency on Tuesday.",
    "监管机构表示，该网站使用Cookie的做法违反了法律。",
    '"We will rebuild the terminal by spring," the governor said.',
    "Mira Nair's new film opens on Friday.",
    "Sources close to the talks said a deal was near.",
    "Share prices fell 4% on Monday.",
]


@pytest.mark.parametrize("sentence", MUST_STAY)
def test_news_sentences_that_look_like_clutter_stay(sentence):
    doc = run(f"Headline\n{PROSE['en']}\n{sentence}\n{PROSE['en']}")
    assert sentence in doc.text and doc.removed == []


def test_subheading_followed_by_prose_stays():
    text = f"Headline\n{PROSE['en']}\nWhat happens next\n{PROSE['en']}\nDie nächsten Schritte\n{PROSE['de']}"
    doc = run(text)
    assert doc.text == text and doc.removed == []


def test_long_paragraph_with_clutter_words_is_never_dropped():
    paragraph = ("By continuing to browse the archive, researchers agreed to the use of cookies and other trackers, "
                 "the court heard on Tuesday, in a case that lawyers say could change how news sites ask readers "
                 "for consent across the European Union and beyond.")
    doc = run(f"Headline\n{paragraph}\n{PROSE['en']}")
    assert paragraph in doc.text
