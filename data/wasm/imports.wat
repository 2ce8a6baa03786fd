;; imports: a module that calls out, three ways.
;;
;; pow(base, exp) -> base^exp    multiplies with the imported my_lib.mul, as
;;                               HyperBEAM's pow_calculator.wasm does
;; via_table(index, x) -> y      calls Emscripten's env.invoke_ii: the host calls
;;                               table entry `index` with x (0: double, 1: square)
;; ask(x) -> answer + 1          env.mystery, which no device answers: it gives 0
(module
  (import "my_lib" "mul" (func $mul (param i32 i32) (result i32)))
  (import "env" "invoke_ii" (func $invoke_ii (param i32 i32) (result i32)))
  (import "env" "mystery" (func $mystery (param i32) (result i32)))
  (table (export "__indirect_function_table") 2 funcref)
  (elem (i32.const 0) $double $square)
  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "pow") (param $base i32) (param $exp i32) (result i32)
    (local $acc i32)
    (local.set $acc (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $exp)))
        (local.set $acc (call $mul (local.get $acc) (local.get $base)))
        (local.set $exp (i32.sub (local.get $exp) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "via_table") (param i32 i32) (result i32)
    (call $invoke_ii (local.get 0) (local.get 1)))
  (func (export "ask") (param i32) (result i32)
    (i32.add (call $mystery (local.get 0)) (i32.const 1))))
