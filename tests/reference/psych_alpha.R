# Pins psych::alpha (Cronbach's alpha, G6, item stats, alpha-if-dropped,
# ASE, Feldt CI) on bfi and survey::svycralpha on a weighted design.
# Regenerate: Rscript tests/reference/psych_alpha.R -> psych_alpha.json
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
env <- new.env()
setup <- 'data(bfi, package="psych")'
run(setup, env)
out <- list(meta = meta(c("psych", "survey")), setup = setup,
  notes = I(c(
    "psych 2.2.9 alpha(): keys given as item names -> those items get key -1. Reversal: x_rev = (min(x) + max(x)) - x where min/max are over the WHOLE item matrix passed (all items, na.rm=TRUE); for bfi items that is 1+6=7.",
    "Covariances use cov(x, use='pairwise'); C is sign-flipped by keys; R = cov2cor(C). raw_alpha = n/(n-1)*(1 - tr(C)/sum(C)); std.alpha = n/(n-1)*(1 - n/sum(R)); G6(smc) = 1 - (n - sum(smc(R)))/sum(R); average_r = (sum(R)-n)/(n(n-1)); S/N = n*av.r/(1-av.r).",
    "ase = sqrt(Q/nsub), nsub = nrow(x) INCLUDING rows with NAs; Q = 2n^2/((n-1)^2 sum(C)^3) * (sum(C)*(tr(C%*%C) + tr(C)^2) - 2*tr(C)*sum(C%*%C)).",
    "Feldt CI (psych::alpha.ci(alpha, nsub, nvar), p.val=0.05): lower = 1-(1-alpha)*qf(0.975, nsub-1, (nsub-1)(nvar-1)); upper = 1-(1-alpha)*qf(0.025, ...); r.bar = alpha/(nvar - alpha*(nvar-1)).",
    "item.stats: raw.r = cor(total, item, pairwise) with total = rowMeans(reversed items, na.rm=TRUE); std.r = colSums(R)/sqrt(sum(R)); r.cor = colSums(RC)/sqrt(sum(RC)) with diag(RC)=smc(R); r.drop = (sum(C[,i]) - C[i,i]) / sqrt(C[i,i] * sum(C[-i,-i])); mean/sd = per-item after reversal (na.rm). total$mean/sd = mean/sd of the row-mean score.",
    "alpha.drop 'alpha se' = sqrt(Q_drop / nsub).",
    "smc(R) = 1 - 1/diag(solve(R)).")),
  cases = list())

df_to_list <- function(d) {
  res <- lapply(d, function(col) setNames(as.numeric(col), rownames(d)))
  names(res) <- names(d); res
}
alpha_case <- function(code) {
  a <- run(code, env)
  x <- get("xdat", env)
  keys <- a$keys[[1]]
  t <- a$total
  list(call = code,
       n_rows = nrow(x), n_complete = sum(complete.cases(x)),
       keys = I(keys),
       reversal = list(min_item = min(x, na.rm = TRUE), max_item = max(x, na.rm = TRUE),
                       adjust = min(x, na.rm = TRUE) + max(x, na.rm = TRUE)),
       total = setNames(as.list(as.numeric(t[1, ])), names(t)),
       alpha.drop = df_to_list(a$alpha.drop),
       item.stats = df_to_list(a$item.stats),
       item_means_after_reversal = setNames(as.numeric(a$item.stats$mean), rownames(a$item.stats)),
       item_means_raw = colMeans(x, na.rm = TRUE),
       feldt = list(lower.ci = as.numeric(a$feldt$lower.ci[[1]]), alpha = as.numeric(a$feldt$alpha[[1]]),
                    upper.ci = as.numeric(a$feldt$upper.ci[[1]]), r.bar = as.numeric(a$feldt$r.bar[[1]])),
       Unidim = as.numeric(a$Unidim[[1]]), var.r = as.numeric(a$var.r), Fit.off = as.numeric(a$Fit[[1]]))
}
out$cases$agree_A1rev <- alpha_case('xdat <- bfi[,1:5]
psych::alpha(xdat, keys=c("A1"))')
out$cases$consc_C4C5rev <- alpha_case('xdat <- bfi[,6:10]
psych::alpha(xdat, keys=c("C4","C5"))')
out$cases$agree_A1rev_complete <- alpha_case('xdat <- na.omit(bfi[,1:5])
psych::alpha(xdat, keys=c("A1"))')
out$cases$consc_C4C5rev_complete <- alpha_case('xdat <- na.omit(bfi[,6:10])
psych::alpha(xdat, keys=c("C4","C5"))')
out$cases$agree_nokeys_A2toA5 <- alpha_case('xdat <- bfi[,2:5]
psych::alpha(xdat)')

# survey::svycralpha on a weighted design
wsetup <- 'b <- na.omit(bfi[,1:5])
w <- rep(1:3, length.out=nrow(b))
dbfi <- svydesign(ids=~1, weights=~w, data=data.frame(b,w))'
run(wsetup, env)
cr <- function(code, items) {
  v <- run(code, env)
  d <- env$dbfi
  vi <- coef(svyvar(as.formula(paste("~", paste(items, collapse = "+"))), d))
  list(setup = wsetup, call = code, value = as.numeric(v),
       n = nrow(env$b),
       svyvar_items_diag = setNames(as.numeric(diag(matrix(vi, length(items)))), items))
}
out$cases$svycralpha_A2toA5_weighted <- cr('svycralpha(~A2+A3+A4+A5, dbfi)', c("A2","A3","A4","A5"))
out$cases$svycralpha_A1revA5_weighted <- cr('svycralpha(~I(7-A1)+A2+A3+A4+A5, dbfi)', c("I(7 - A1)","A2","A3","A4","A5"))
out$cases$svycralpha_A2toA5_weighted$note <- "survey 4.1.1 svycralpha: K/(K-1) * (1 - sum(diag(svyvar(items))) / svyvar(sum of items)); no SE returned. svyvar = weighted variance sum(w(x-xbar)^2)/sum(w) * n/(n-1) (the n/(n-1) cancels in alpha). Rows of b in na.omit(bfi[,1:5]) order; w = 1,2,3,1,2,3,... over those rows."
out$cases$unweighted_alpha_A2toA5_complete <- alpha_case('xdat <- na.omit(bfi[,1:5])[,2:5]
psych::alpha(xdat)')

write_json_file(out, "psych_alpha.json")
