;; counter-process: the smallest AO process for json-iface@1.0, in memory64
;; like aos.  `handle(msg, env)` takes the message and the process as
;; NUL-terminated JSON strings (which it ignores) and answers, as a
;; NUL-terminated JSON string:
;;
;;   {"ok":true,"response":{"Output":{"data":"<n>"},
;;    "Messages":[{"Tags":[{"name":"Action","value":"Tick"},
;;                         {"name":"Count","value":"<n>"}],"Data":"tick"}]}}
;;
;; where n counts the messages handled so far (kept at address 0, so it is in
;; every snapshot).  malloc is a bump allocator from address 4096; the answer
;; is written at address 1024.
(module
  (memory (export "memory") i64 1 16)
  (data (i64.const 256) "{\"ok\":true,\"response\":{\"Output\":{\"data\":\"")
  (data (i64.const 384) "\"},\"Messages\":[{\"Tags\":[{\"name\":\"Action\",\"value\":\"Tick\"},{\"name\":\"Count\",\"value\":\"")
  (data (i64.const 640) "\"}],\"Data\":\"tick\"}]}}")

  (func (export "malloc") (param $size i64) (result i64)
    (local $start i64) (local $end i64) (local $have i64)
    (local.set $start (i64.load (i64.const 8)))
    (if (i64.eqz (local.get $start)) (then (local.set $start (i64.const 4096))))
    (local.set $end (i64.and (i64.add (i64.add (local.get $start) (local.get $size)) (i64.const 7))
                             (i64.const -8)))
    (local.set $have (i64.mul (memory.size) (i64.const 65536)))
    (if (i64.gt_u (local.get $end) (local.get $have))
      (then
        (if (i64.eq (memory.grow (i64.div_u (i64.add (i64.sub (local.get $end) (local.get $have))
                                                     (i64.const 65535))
                                            (i64.const 65536)))
                    (i64.const -1))
          (then (return (i64.const 0))))))
    (i64.store (i64.const 8) (local.get $end))
    (local.get $start))

  ;; copy the NUL-terminated string at $src to $at; return the address after it
  (func $put (param $at i64) (param $src i64) (result i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (local.get $src))))
        (i32.store8 (local.get $at) (i32.load8_u (local.get $src)))
        (local.set $at (i64.add (local.get $at) (i64.const 1)))
        (local.set $src (i64.add (local.get $src) (i64.const 1)))
        (br $next)))
    (local.get $at))

  ;; write $n in decimal at $at; return the address after it
  (func $put_number (param $at i64) (param $n i64) (result i64)
    (local $digits i64) (local $rest i64) (local $end i64)
    (local.set $digits (i64.const 1))
    (local.set $rest (local.get $n))
    (block $counted
      (loop $more
        (br_if $counted (i64.lt_u (local.get $rest) (i64.const 10)))
        (local.set $rest (i64.div_u (local.get $rest) (i64.const 10)))
        (local.set $digits (i64.add (local.get $digits) (i64.const 1)))
        (br $more)))
    (local.set $end (i64.add (local.get $at) (local.get $digits)))
    (local.set $rest (local.get $end))
    (loop $digit
      (local.set $rest (i64.sub (local.get $rest) (i64.const 1)))
      (i64.store8 (local.get $rest) (i64.add (i64.const 48) (i64.rem_u (local.get $n) (i64.const 10))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $digit (i64.gt_u (local.get $rest) (local.get $at))))
    (local.get $end))

  (func (export "handle") (param $msg i64) (param $env i64) (result i64)
    (local $at i64) (local $count i64)
    (local.set $count (i64.add (i64.load (i64.const 0)) (i64.const 1)))
    (i64.store (i64.const 0) (local.get $count))
    (local.set $at (call $put (i64.const 1024) (i64.const 256)))
    (local.set $at (call $put_number (local.get $at) (local.get $count)))
    (local.set $at (call $put (local.get $at) (i64.const 384)))
    (local.set $at (call $put_number (local.get $at) (local.get $count)))
    (local.set $at (call $put (local.get $at) (i64.const 640)))
    (i32.store8 (local.get $at) (i32.const 0))
    (i64.const 1024)))
