# Pins (1) raking to a margin whose sparse categories were merged by hand (what rake(collapse=)
# must reproduce), (2) survey::rake() under its DEFAULT control (maxit=10, epsilon=1) and other
# controls, R's own stopping rule, and (3) svyquantile on replicate designs (JK1, JKn), with
# the default Woodruff interval (interval.type="mean") and interval.type="quantile", overall
# and by domain (svyby).
# Regenerate: Rscript tests/reference/survey_collapse_quantiles.R -> survey_collapse_quantiles.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
data(api)
env <- new.env()
out <- list(meta = meta(c("survey")), cases = list())

# -- (1) collapsed margin ------------------------------------------------------------------
setup_collapse <- 'data(api)
ell_breaks <- c(-1, 1, 5, 10, 20, 40, 60, 80, 100)
ell_labels <- c("0-1", "1-5", "5-10", "10-20", "20-40", "40-60", "60-80", "80-100")
apistrat$ellband <- cut(apistrat$ell, ell_breaks, labels = ell_labels)
apipop$ellband <- cut(apipop$ell, ell_breaks, labels = ell_labels)
# by hand: the sparse 80-100 band (1 school) merged with its only neighbour 60-80 (12 schools)
merged <- function(x) { x <- as.character(x); x[x %in% c("60-80", "80-100")] <- "60-80+80-100"; x }
apistrat$ellband2 <- merged(apistrat$ellband)
apipop$ellband2 <- merged(apipop$ellband)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
pop.schwide <- as.data.frame(table(sch.wide=apipop$sch.wide))
pop.ell <- as.data.frame(table(ellband=apipop$ellband))
pop.ell2 <- as.data.frame(table(ellband2=apipop$ellband2))'
run(setup_collapse, env)
code <- 'dstrat_ell <- rake(dstrat, list(~sch.wide, ~ellband2), list(pop.schwide, pop.ell2), control=list(epsilon=1e-12, maxit=500))'
run(code, env)
d <- env$dstrat_ell
m <- svymean(~api00, d)
out$cases$rake_collapsed_ell <- list(
  setup = setup_collapse, call = code,
  note = "ellband has 8 bands; apistrat has 1 school in 80-100 and 12 in 60-80; the merged margin sums their apipop counts.",
  sample_n = as.list(table(env$apistrat$ellband)),
  population_ell = as.list(setNames(env$pop.ell$Freq, as.character(env$pop.ell$ellband))),
  population_schwide = as.list(setNames(env$pop.schwide$Freq, as.character(env$pop.schwide$sch.wide))),
  ell = I(as.numeric(env$apistrat$ell)),
  weights = I(as.numeric(weights(d))),
  svymean_api00 = list(call = "svymean(~api00, D)", estimate = as.numeric(coef(m)), se = as.numeric(SE(m))))

# -- (2) R rake()'s own stopping rule ------------------------------------------------------
setup_rake <- 'data(api)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
pop.types <- data.frame(stype=c("E","H","M"), Freq=c(4421,755,1018))
pop.schwide <- data.frame(sch.wide=c("No","Yes"), Freq=c(1072,5122))
rclus1 <- as.svrepdesign(dclus1, type="JK1")'
run(setup_rake, env)
rake_case <- function(code, name, rep = FALSE) {
  warned <- FALSE
  withCallingHandlers(run(code, env),
    warning = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
  d <- get(name, env)
  m <- svymean(~api00, d); t <- svytotal(~enroll, d)
  res <- list(setup = setup_rake, call = code, warned_not_converged = warned,
       weights = I(as.numeric(weights(d, "sampling"))),
       svymean_api00 = list(call = "svymean(~api00, D)", estimate = as.numeric(coef(m)), se = as.numeric(SE(m))),
       svytotal_enroll = list(call = "svytotal(~enroll, D)", estimate = as.numeric(coef(t)), se = as.numeric(SE(t))))
  if (rep) res$repweights_first3 <- weights(d, "analysis")[, 1:3]
  res
}
out$cases$rake_r_default <- rake_case(
  'dclus1r <- rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide))', "dclus1r")
out$cases$rake_r_relative_eps <- rake_case(
  'dclus1r_rel <- rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide), control=list(epsilon=1e-5))', "dclus1r_rel")
out$cases$rake_r_maxit2 <- rake_case(
  'dclus1r_m2 <- rake(dclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide), control=list(maxit=2))', "dclus1r_m2")
out$cases$rake_r_default_jk1 <- rake_case(
  'rclus1r <- rake(rclus1, list(~stype,~sch.wide), list(pop.types, pop.schwide))', "rclus1r", rep = TRUE)

# -- (3) svyquantile on replicate designs --------------------------------------------------
setup_q <- 'data(api)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
# JK1 cannot be used on a stratified design: the same sample without strata
dstrat_nostrata <- svydesign(id=~1, weights=~pw, data=apistrat)
rjk1 <- as.svrepdesign(dstrat_nostrata, type="JK1")
rjkn <- as.svrepdesign(dstrat, type="JKn")'
run(setup_q, env)
qtab <- function(q) {
  lapply(q, function(r) list(quantile = I(unname(r[, 1])), ci_low = I(unname(r[, 2])),
                             ci_high = I(unname(r[, 3])), se = I(unname(r[, 4]))))
}
for (des in c("rjk1", "rjkn")) {
  d <- get(des, env)
  for (it in c("mean", "quantile")) {
    code <- sprintf('svyquantile(~api00+enroll, %s, quantiles=c(.25,.5,.75), interval.type="%s")', des, it)
    q <- suppressWarnings(run(code, env))
    out$cases[[sprintf("svyquantile_%s_%s", des, it)]] <- c(list(setup = setup_q, call = code,
      degf = degf(d), scale = d$scale), qtab(q))
    for (by in c("awards", "stype")) {
      code <- sprintf('svyby(~api00, ~%s, %s, svyquantile, quantiles=c(.25,.5,.75), interval.type="%s", ci=TRUE, vartype=c("se","ci"))', by, des, it)
      b <- suppressWarnings(run(code, env))
      dom <- as.character(b[[by]])
      degfs <- sapply(dom, function(v) degf(d[d$variables[[by]] == v, ]))
      out$cases[[sprintf("svyby_%s_%s_%s", by, des, it)]] <- list(setup = setup_q, call = code,
        domains = I(dom), degf = I(unname(degfs)),
        quantile = unname(as.matrix(b[, 2:4])), se = unname(as.matrix(b[, 5:7])),
        ci_low = unname(as.matrix(b[, 8:10])), ci_high = unname(as.matrix(b[, 11:13])))
    }
  }
}

write_json_file(out, "survey_collapse_quantiles.json")
