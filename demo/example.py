"""The article the demo's text box starts with: short French wire copy written for the demo (invented place,
company and people), with one sentence of each act among neutral context."""

EXAMPLE_ARTICLE = "\n".join(
    [
        "Pollution : une nappe d'hydrocarbures sur le Trieux à Pontmarec",
        "",
        "Une nappe d'hydrocarbures a été repérée lundi matin sur le Trieux, à deux kilomètres en aval de "
        "Pontmarec (Côtes-d'Armor).",
        "L'association Rivières vivantes accuse la société Kervalis d'avoir vidé ses cuves de fioul dans le "
        "fleuve pendant la nuit.",
        "« Aucune de nos installations n'a rejeté quoi que ce soit, ces accusations sont infondées », a répliqué "
        "le directeur du site, Yann Le Bihan.",
        "La préfecture assure que l'eau du robinet reste parfaitement potable dans les communes voisines et "
        "qu'aucun risque sanitaire n'a été identifié.",
        "Des prélèvements ont été confiés à un laboratoire de Rennes, qui rendra ses résultats jeudi.",
        "La pêche est interdite jusqu'à nouvel ordre sur ce tronçon du fleuve.",
    ]
)
