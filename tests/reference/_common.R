# Shared helpers for the reference scripts (sourced, not run directly).
# Writes JSON by hand so every number carries 17 significant digits
# (sprintf("%.17g")), which round-trips IEEE doubles exactly.
suppressPackageStartupMessages({
  library(survey); library(psych); library(lavaan); library(semTools)
})

script_dir <- function() {
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
}

json_str <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  s <- gsub("\t", "\\\\t", s)
  paste0("\"", s, "\"")
}

json_num <- function(x) {
  out <- sprintf("%.17g", x)
  out[is.na(x)] <- "null"
  out[is.infinite(x) & x > 0] <- "\"Inf\""
  out[is.infinite(x) & x < 0] <- "\"-Inf\""
  out
}

# to_json: named list -> object; unnamed list -> array;
# named atomic vector (length>1 or names given) -> object; matrix -> object
# {rownames, colnames, data (row-major array of rows)}; length-1 unnamed
# atomic -> scalar; otherwise array.  Wrap with I() to force an array.
to_json <- function(x, ind = "") {
  nxt <- paste0(ind, "  ")
  force_array <- inherits(x, "AsIs")
  if (force_array) class(x) <- setdiff(class(x), "AsIs")
  if (is.null(x)) return("null")
  if (is.factor(x)) x <- as.character(x)
  if (is.data.frame(x)) x <- as.list(x)
  if (is.matrix(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) I(unname(x[i, ])))
    return(to_json(list(rownames = if (is.null(rownames(x))) NULL else I(rownames(x)),
                        colnames = if (is.null(colnames(x))) NULL else I(colnames(x)),
                        data = rows), ind))
  }
  if (is.list(x)) {
    if (!length(x)) return(if (is.null(names(x))) "[]" else "{}")
    vals <- vapply(x, to_json, "", ind = nxt)
    if (!is.null(names(x))) {
      body <- paste0(nxt, json_str(names(x)), ": ", vals, collapse = ",\n")
      return(paste0("{\n", body, "\n", ind, "}"))
    }
    return(paste0("[\n", paste0(nxt, vals, collapse = ",\n"), "\n", ind, "]"))
  }
  if (is.logical(x)) v <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  else if (is.numeric(x)) v <- json_num(as.numeric(x))
  else v <- ifelse(is.na(x), "null", json_str(as.character(x)))
  if (!is.null(names(x)) && !force_array) {
    return(paste0("{", paste0(json_str(names(x)), ": ", v, collapse = ", "), "}"))
  }
  if (length(x) == 1 && !force_array) return(v)
  if (length(v) <= 8) return(paste0("[", paste(v, collapse = ", "), "]"))
  paste0("[\n", paste0(nxt, v, collapse = ",\n"), "\n", ind, "]")
}

meta <- function(pkgs) {
  list(R_version = R.version.string,
       packages = as.list(setNames(vapply(pkgs, function(p) as.character(packageVersion(p)), ""), pkgs)),
       script = basename(sys_script()))
}

# Evaluate a code string in env and return the value of the last expression;
# the same string is stored in the JSON so the call is exactly what ran.
run <- function(code, env) {
  res <- NULL
  for (e in parse(text = code)) res <- eval(e, envir = env)
  invisible(res)
}

# mean/total helpers: estimate, SE (and deff if present)
est_se <- function(obj) {
  out <- list(estimate = coef(obj), se = SE(obj))
  d <- tryCatch(deff(obj), error = function(e) NULL)
  if (!is.null(d)) out$deff <- d
  lapply(out, function(v) { v <- drop(as.numeric(v)); names(v) <- names(coef(obj)); v })
}

write_json_file <- function(obj, name) {
  path <- file.path(script_dir(), name)
  writeLines(to_json(obj), path)
  cat("wrote", path, "\n")
}

sys_script <- function() {
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) f else "interactive"
}

# The 12 x 5 indicator matrix X of the composite-indicator pins (index_methods.R, coinr.R).
INDEX_X_SETUP <- paste(
  'set.seed(20261123)',
  'X <- matrix(round(runif(12 * 5, 1, 5), 2), 12, 5, dimnames = list(NULL, paste0("d", 1:5)))',
  'X[, 2] <- round(0.6 * X[, 1] + 0.4 * X[, 2], 2)',
  'X[3, 1] <- X[5, 1]',
  sep = "\n")

# lavaan fits as the CFA pins store them (lavaan_robust.R, lavaan_bfi.R): each helper runs its
# code string in the script's `env` and returns the fit measures `fm_names`, the parameter
# table, a lavTestLRT difference or the lavTestScore constraints mapped through parTable labels.
fm_names <- c("chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "baseline.chisq", "baseline.df", "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
              "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
              "rmsea", "rmsea.scaled", "rmsea.robust", "srmr", "npar", "ntotal", "logl")
pe_list <- function(fit) {
  pe <- parameterEstimates(fit)
  list(lhs = I(pe$lhs), op = I(pe$op), rhs = I(pe$rhs),
       group = I(if (is.null(pe$group)) rep(1, nrow(pe)) else pe$group),
       est = I(pe$est), se = I(pe$se))
}
fit_case <- function(code) {
  fit <- run(code, env)
  fm <- fitMeasures(fit, fm_names)
  list(call = code, converged = lavInspect(fit, "converged"),
       meanstructure = lavInspect(fit, "meanstructure"),
       group_labels = I(lavInspect(fit, "group.label")),
       nobs = I(as.numeric(unlist(fit@SampleStats@nobs))),
       fitMeasures = setNames(as.list(as.numeric(fm)), names(fm)),
       parameters = pe_list(fit))
}
lrt_case <- function(code) {
  lrt <- run(code, env)
  list(call = code, models = I(rownames(lrt)), Df = I(as.numeric(lrt$Df)),
       Chisq = I(as.numeric(lrt$Chisq)), Chisq_diff = as.numeric(lrt[["Chisq diff"]][2]),
       Df_diff = as.numeric(lrt[["Df diff"]][2]), p_value = as.numeric(lrt[["Pr(>Chisq)"]][2]))
}
score_case <- function(fitname, code) {
  st <- suppressWarnings(run(code, env))
  fit <- get(fitname, envir = env)
  pt <- parTable(fit)
  where <- function(lab) {
    i <- match(lab, pt$plabel)
    paste(pt$group[i], pt$lhs[i], pt$op[i], pt$rhs[i])
  }
  list(call = code, total_X2 = st$test$X2, total_df = st$test$df,
       lhs = I(st$uni$lhs), rhs = I(st$uni$rhs),
       lhs_par = I(where(st$uni$lhs)), rhs_par = I(where(st$uni$rhs)),
       X2 = I(st$uni$X2))
}
