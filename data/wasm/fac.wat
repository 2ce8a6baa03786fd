;; fac: the factorial of an f64, recursively.  No memory, no imports.
;; aolab's copy of HyperBEAM's test/test-64.wasm: fac(5.0) = 120.0, fac(6.0) = 720.0.
(module
  (func $fac (export "fac") (param $n f64) (result f64)
    (if (result f64) (f64.lt (local.get $n) (f64.const 1))
      (then (f64.const 1))
      (else (f64.mul (local.get $n)
                     (call $fac (f64.sub (local.get $n) (f64.const 1))))))))
