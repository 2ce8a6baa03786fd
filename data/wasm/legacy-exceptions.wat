;; legacy-exceptions: the exception instructions Emscripten emitted before the
;; exnref proposal (`try` ... `catch` ... `end`), as AO's aos modules use them.
;; wasmtime does not run them: aolab translates such an image with binaryen's
;; `wasm-opt --translate-to-exnref` first (see aolab.wasm_runtime).
;;
;; safe_div(a, b) -> a / b, or -1: dividing by zero throws $oops, caught here
(module
  (tag $oops (param i32))
  (func $fail (param i32)
    (throw $oops (local.get 0)))
  (func (export "safe_div") (param i32 i32) (result i32)
    try (result i32)
      local.get 1
      i32.eqz
      if
        i32.const -1
        call $fail
      end
      local.get 0
      local.get 1
      i32.div_s
    catch $oops
    end))
