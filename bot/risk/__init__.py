"""The risk model: a JSON file (:mod:`bot.risk.model`), its assessment of one pull request
(:mod:`bot.risk.assess`), and fitting it from history (:mod:`bot.risk.calibrate`, needs the
``calibrate`` extra). Scoring is pure Python."""
