# Tracker changes between two independent waves (tests/test_tracker.py).
# Each wave: a JKn replicate design with strata = country (as surveyindex's make_design default
# and with_replicates("JKn")); svyby(svymean) per country of one item (USA_mor1) and of the
# respondent composite (mean of the five 0-100 dimension scores; every item answered, reverse-
# keyed items x4 recoded 6 - x). The change's SE for independent samples is
# sqrt(se_wave1^2 + se_wave2^2). Run from the repo root: Rscript tests/reference/tracker_waves.R
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))),
                 "_common.R"))
dims <- c("mor", "com", "cul", "tec", "edu")
wave <- function(k) {
  d <- read.csv(sprintf("tests/reference/data/tracker_w%d.csv", k), stringsAsFactors = FALSE)
  for (t in c("USA", "CHN")) {
    sc <- sapply(dims, function(p) {
      x <- as.matrix(d[, sprintf("%s_%s%d", t, p, 1:4)])
      x[, 4] <- 6 - x[, 4]
      25 * (rowMeans(x) - 1)
    })
    d[[paste0(t, "_comp")]] <- rowMeans(sc)
  }
  des <- as.svrepdesign(svydesign(ids = ~1, strata = ~country, weights = ~1, data = d), type = "JKn")
  est <- svyby(~USA_mor1 + USA_comp + CHN_comp, ~country, des, svymean)
  se <- as.data.frame(SE(est))
  list(country = est$country, USA_mor1 = est$USA_mor1, USA_mor1_se = se[[1]],
       USA_comp = est$USA_comp, USA_comp_se = se[[2]], CHN_comp = est$CHN_comp,
       CHN_comp_se = se[[3]])
}
w1 <- wave(1); w2 <- wave(2)
out <- list(r_version = R.version.string, survey = as.character(packageVersion("survey")))
for (v in c("USA_mor1", "USA_comp", "CHN_comp")) {
  out[[v]] <- list(change = unname(w2[[v]] - w1[[v]]),
                   se = unname(sqrt(w1[[paste0(v, "_se")]]^2 + w2[[paste0(v, "_se")]]^2)))
}
out$country <- w1$country
options(digits = 17)
str(out, digits.d = 17)
