# Pins replicate-weight designs from survey::as.svrepdesign (JK1, JKn, BRR, Fay).
# Regenerate: Rscript tests/reference/survey_replicates.R -> survey_replicates.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(api); data(scd)
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
# BRR data 1: first two rows (in data order) of each stype stratum of apistrat
api2 <- do.call(rbind, lapply(split(apistrat, apistrat$stype), head, 2))
d2 <- svydesign(id=~1, strata=~stype, weights=~pw, data=api2)
# BRR data 2: first 16 rows of apistrat, pseudo-strata 1..8 of consecutive pairs
api16 <- apistrat[1:16, ]
api16$pstrat <- rep(1:8, each=2)
d16 <- svydesign(id=~1, strata=~pstrat, weights=~pw, data=api16)
# BRR data 3: documentation example (?as.svrepdesign), 3 strata x 2 ambulances
scdnofpc <- svydesign(data=scd, prob=~1, id=~ambulance, strata=~ESA, nest=TRUE)'
run(setup, env)
out <- list(meta = meta("survey"), setup = setup,
  notes = I(c(
    "Replicate variance (survey 4.1.1, mse=getOption('survey.replicates.mse')=FALSE): var = scale * sum_r rscales[r] * (theta_r - mean(theta_r))^2. With mse=TRUE the centre is the full-sample estimate.",
    "weights(rep, 'analysis') = replicate weights multiplied by sampling weights (what the estimator uses).",
    "api2 row order: stype E rows then H then M (split() orders by factor levels), within stratum original apistrat order; snum recorded per case.",
    "BRR uses a Hadamard matrix chosen by survey::brrweights; replicate-weight matrices are recorded in full for BRR/Fay so Python need not reproduce R's Hadamard choice.")),
  cases = list())

rep_case <- function(code, design_name, full_weights = FALSE, first_cols = NULL) {
  run(code, env)
  r <- get(design_name, env)
  m <- svymean(~api00, r, return.replicates = TRUE)
  t <- svytotal(~api00, r)
  W <- weights(r, "analysis")
  res <- list(call = code, type = r$type,
    n_replicates = ncol(W), scale = r$scale, rscales = I(as.numeric(r$rscales)),
    mse = isTRUE(r$mse),
    snum = I(r$variables$snum),
    svymean_api00 = list(estimate = as.numeric(coef(m)), se = as.numeric(SE(m)),
                         replicates = I(as.numeric(m$replicates))),
    svytotal_api00 = list(estimate = as.numeric(coef(t)), se = as.numeric(SE(t))))
  if (!is.null(r$fay.rho)) res$fay.rho <- r$fay.rho
  if (full_weights) res$analysis_weights <- unname(W)
  if (!is.null(first_cols)) res$analysis_weights_first5 <- unname(W[, 1:first_cols])
  res
}

out$cases$JK1_dclus1 <- rep_case('rclus1 <- as.svrepdesign(dclus1, type="JK1")', "rclus1", first_cols = 5)
out$cases$JK1_dclus1$note <- "JK1 from a design with fpc: the fpc IS used: scale = (n-1)/n * (1 - n/N) with n=15 PSUs, N=757 (= 14/15*(1-15/757)); rscales all 1. Replicate r drops PSU r (PSUs in order of first appearance in the data, i.e. unique(apiclus1$dnum): 637, 437, 778, ...) and multiplies the other weights by n/(n-1)."
out$cases$JKn_dstrat <- rep_case('rstrat <- as.svrepdesign(dstrat, type="JKn")', "rstrat", first_cols = 5)
out$cases$JKn_dstrat$note <- "JKn with fpc: scale=1, rscales[r] = (n_h-1)/n_h * (1 - n_h/N_h) for the stratum h of the dropped unit; replicate multiplies the other units in stratum h by n_h/(n_h-1)."
out$cases$BRR_api2 <- rep_case('rapi2 <- as.svrepdesign(d2, type="BRR")', "rapi2", full_weights = TRUE)
out$cases$BRR_api16 <- rep_case('rapi16 <- as.svrepdesign(d16, type="BRR")', "rapi16", full_weights = TRUE)
out$cases$Fay_api16_rho0.3 <- rep_case('fapi16 <- as.svrepdesign(d16, type="Fay", fay.rho=0.3)', "fapi16", full_weights = TRUE)
out$cases$Fay_api2_rho0.3 <- rep_case('fapi2 <- as.svrepdesign(d2, type="Fay", fay.rho=0.3)', "fapi2", full_weights = TRUE)

# scd documentation example (variable 'arrests' / 'alive', no api00)
scd_case <- function(code, nm) {
  run(code, env); r <- get(nm, env)
  m <- svymean(~arrests + alive, r); rr <- svyratio(~alive, ~arrests, r)
  res <- list(call = code, type = r$type, n_replicates = ncol(weights(r, "analysis")),
       scale = r$scale, rscales = I(as.numeric(r$rscales)),
       analysis_weights = unname(weights(r, "analysis")),
       svymean = list(estimate = setNames(as.numeric(coef(m)), names(coef(m))),
                      se = setNames(as.numeric(SE(m)), names(coef(m)))),
       svyratio_alive_arrests = list(estimate = as.numeric(coef(rr)), se = as.numeric(SE(rr))))
  if (!is.null(r$fay.rho)) res$fay.rho <- r$fay.rho
  res
}
out$cases$BRR_scd_docexample <- scd_case('scdnofpcBRR <- as.svrepdesign(scdnofpc, type="BRR")', "scdnofpcBRR")
out$cases$Fay_scd_rho0.3 <- scd_case('scdnofpcFay <- as.svrepdesign(scdnofpc, type="Fay", fay.rho=0.3)', "scdnofpcFay")
out$cases$scd_linearization <- {
  m <- svymean(~arrests + alive, env$scdnofpc)
  list(call = "svymean(~arrests+alive, scdnofpc)",
       estimate = setNames(as.numeric(coef(m)), names(coef(m))), se = setNames(as.numeric(SE(m)), names(coef(m))))
}

out$scd_data <- as.list(get("scd", envir = globalenv()))
write_json_file(out, "survey_replicates.json")
