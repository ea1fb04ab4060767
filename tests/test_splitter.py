"""The French sentence splitter on hand-made tricky paragraphs."""

import pytest

from inference.splitter import split_sentences


def texts(paragraph):
    return [s.text for s in split_sentences(paragraph)]


def test_offsets_slice_back_to_each_sentence():
    paragraph = "  Le maire dément.\n\nLa préfète rassure : « Aucun risque. »   Fin du point presse.  "
    for s in split_sentences(paragraph):
        assert paragraph[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        # Quotes spanning full stops stay whole, attribution included.
        (
            "« Nous ne menaçons personne. Nous voulons la paix », a déclaré le porte-parole. "
            "La réunion a duré deux heures.",
            [
                "« Nous ne menaçons personne. Nous voulons la paix », a déclaré le porte-parole.",
                "La réunion a duré deux heures.",
            ],
        ),
        # A quote that ends the sentence, followed by a new one.
        (
            "Le ministre a été clair : « Il n'y a aucun danger. » Les écoles rouvriront lundi.",
            ["Le ministre a été clair : « Il n'y a aucun danger. »", "Les écoles rouvriront lundi."],
        ),
        # Titles and abbreviations.
        (
            "M. Dupont et Mme Leroy ont rencontré le Dr Martin. Ils visiteront St. Malo puis la Cie des Eaux.",
            ["M. Dupont et Mme Leroy ont rencontré le Dr Martin.", "Ils visiteront St. Malo puis la Cie des Eaux."],
        ),
        # Decimal commas, thousands with a dot, per cent.
        (
            "Le taux est passé de 3,5 % à 4,2 % en un an. Près de 2.000 emplois sont concernés.",
            ["Le taux est passé de 3,5 % à 4,2 % en un an.", "Près de 2.000 emplois sont concernés."],
        ),
        # Initials, single and hyphenated.
        (
            "Selon J.-P. Martin et A. Benali, le dossier est clos. La direction ne commente pas.",
            ["Selon J.-P. Martin et A. Benali, le dossier est clos.", "La direction ne commente pas."],
        ),
        # Ellipses, in both spellings.
        (
            "Étrange coïncidence… Le contrat a été signé la veille... Personne n'a réagi.",
            ["Étrange coïncidence…", "Le contrat a été signé la veille...", "Personne n'a réagi."],
        ),
        # French spaced question and exclamation marks; a lowercase continuation does not split.
        (
            "Qui a intérêt à cela ? a demandé l'élue. Personne ! Le débat reprendra demain.",
            ["Qui a intérêt à cela ? a demandé l'élue.", "Personne !", "Le débat reprendra demain."],
        ),
        # Bullets start sentences and are not part of them.
        (
            "Les mesures annoncées :\n- un numéro vert ouvert jour et nuit\n• des analyses quotidiennes\n"
            "1. une réunion publique",
            [
                "Les mesures annoncées :",
                "un numéro vert ouvert jour et nuit",
                "des analyses quotidiennes",
                "une réunion publique",
            ],
        ),
        # A title line with no final punctuation, then the body; hard-wrapped lines are joined.
        (
            "Fuite à l'usine de Salindres\nLa direction assure que la situation\n"
            "est maîtrisée. Une enquête est ouverte.",
            [
                "Fuite à l'usine de Salindres",
                "La direction assure que la situation\nest maîtrisée.",
                "Une enquête est ouverte.",
            ],
        ),
        # Blank lines always separate.
        ("Premier paragraphe sans point\n\nsecond paragraphe", ["Premier paragraphe sans point", "second paragraphe"]),
        # Straight quotes behave like « ».
        (
            'Il a lancé : "Ce n\'est pas nous. Cherchez ailleurs", avant de partir. Rideau.',
            ['Il a lancé : "Ce n\'est pas nous. Cherchez ailleurs", avant de partir.', "Rideau."],
        ),
    ],
)
def test_tricky_paragraphs(paragraph, expected):
    assert texts(paragraph) == expected


def test_empty_and_blank_text_has_no_sentences():
    assert split_sentences("") == []
    assert split_sentences(" \n\t ") == []


def test_unclosed_quote_does_not_swallow_the_next_paragraph():
    paragraph = "« Une citation jamais fermée. Elle continue.\n\nNouveau paragraphe. Autre phrase."
    assert texts(paragraph)[-2:] == ["Nouveau paragraphe.", "Autre phrase."]


def test_rejects_non_strings():
    with pytest.raises(TypeError, match="got bytes"):
        split_sentences(b"texte")
