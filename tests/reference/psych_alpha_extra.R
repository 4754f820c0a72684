# Extra psych::alpha pins for surveyindex.reliability, beside psych_alpha.R:
#  - the docstring example (complete data) and a pairwise case whose covariance matrix is not
#    positive definite (psych then clips squared multiple correlations to [0, 1] for r.cor);
#  - a singular correlation matrix (a duplicated item);
#  - the Feldt interval at a 90% level (psych::alpha.ci, p.val = .10);
#  - one country x target x dimension group of the bundled sample, read and recoded here
#    independently of the Python reader (end-to-end check of surveyindex.reliability.reliability).
# Regenerate: Rscript tests/reference/psych_alpha_extra.R -> psych_alpha_extra.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))

alpha_summary <- function(code, env) {
  a <- suppressWarnings(run(code, env))
  list(call = code, n_rows = nrow(get("xdat", env)),
       total = as.list(a$total[1, c("raw_alpha", "std.alpha", "average_r")]),
       feldt = list(lower.ci = as.numeric(a$feldt$lower.ci[[1]]),
                    upper.ci = as.numeric(a$feldt$upper.ci[[1]])),
       item.stats = lapply(a$item.stats[c("n", "r.drop", "r.cor", "mean", "sd")],
                           function(v) setNames(as.numeric(v), rownames(a$item.stats))),
       alpha.drop = lapply(a$alpha.drop[c("raw_alpha", "std.alpha")],
                           function(v) setNames(as.numeric(v), rownames(a$alpha.drop))))
}

env <- new.env()
out <- list(meta = meta(c("psych", "survey")), cases = list())

out$cases$docstring_complete <- alpha_summary('xdat <- data.frame(
  q1 = c(4, 5, 3, 2, 4, 5, 3, 4), q2 = c(4, 4, 3, 2, 5, 5, 2, 4), q3 = c(3, 5, 4, 1, 4, 4, 3, 5))
psych::alpha(xdat)', env)

out$cases$pairwise_not_pd <- alpha_summary('xdat <- data.frame(
  q1 = c(1, 2, 3, 4, 5, 3), q2 = c(2, 2, 3, 5, 4, 3), q3 = c(1, 3, 3, 4, 5, NA))
psych::alpha(xdat)', env)

data(bfi, package = "psych", envir = env)
out$cases$singular_duplicate_item <- alpha_summary('xdat <- na.omit(bfi[, 2:5])
xdat$A5b <- xdat$A5
psych::alpha(xdat)', env)

ci <- run('psych::alpha.ci(0.7030184460573041, n.obs = 2800, n.var = 5, p.val = 0.10)', env)
out$cases$feldt_90 <- list(call = 'psych::alpha.ci(0.7030184460573041, n.obs = 2800, n.var = 5, p.val = 0.10)',
                           lower.ci = as.numeric(ci$lower.ci), upper.ci = as.numeric(ci$upper.ci))

# The sample group ARG x USA x morality, recoded here as the instrument says: codes outside 1-5
# (8 don't know, 9 refused, invalid) are missing; mor4 is reverse-keyed (6 - x). Respondents the
# reader excludes (age outside 18-99, repeated id, no valid answer) are excluded here too, and so
# are those with no morality answer, so that psych's n = nrow(x) is the count of respondents used.
raw <- read.csv(file.path(script_dir(), "..", "..", "sample_data", "softpower_sample.csv"))
items <- c("USA_mor1", "USA_mor2", "USA_mor3", "USA_mor4")
for (v in items) raw[[v]][!(raw[[v]] %in% 1:5)] <- NA
raw$USA_mor4 <- 6 - raw$USA_mor4
keep <- raw$country == "ARG" & raw$age >= 18 & raw$age <= 99 & !duplicated(raw$resp_id) &
  rowSums(!is.na(raw[items])) > 0
env$sample_arg <- raw[keep, items]
out$cases$sample_ARG_USA_morality <- alpha_summary('xdat <- sample_arg
psych::alpha(xdat)', env)
out$cases$sample_ARG_USA_morality$note <- "sample_data/softpower_sample.csv, country ARG, items USA_mor1-4 with mor4 reversed (6 - x), codes outside 1-5 set to NA, rows with age outside 18-99 / repeated resp_id / no morality answer dropped."

write_json_file(out, "psych_alpha_extra.json")
